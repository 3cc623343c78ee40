// docs/admin-ui.md shows the auth and data-provider code that admin-providers.test.mjs runs.
// Each file of docs/examples/admin-ui/ must appear in the guide as one code block, verbatim, so
// the guide cannot drift from the code that is tested. Edit the file, then paste it into the guide.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';

const examples = new URL('../../docs/examples/admin-ui/', import.meta.url);
const guide = await readFile(new URL('../../docs/admin-ui.md', import.meta.url), 'utf8');

// The text between a ```lang line and the closing ``` line of every fenced block.
const blocks = [...guide.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

for (const name of (await readdir(examples)).sort()) {
  test(`docs/admin-ui.md shows docs/examples/admin-ui/${name} verbatim`, async () => {
    const code = await readFile(new URL(name, examples), 'utf8');
    assert.ok(code.endsWith('\n'), `${name} ends with a newline`);
    assert.ok(
      blocks.includes(code),
      `no code block of docs/admin-ui.md is exactly ${name}; copy the file into the guide again`,
    );
  });
}
