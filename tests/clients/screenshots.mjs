// Screenshots for the docs, taken with the same steps as browser.test.mjs:
//   node screenshots.mjs http://127.0.0.1:8080
// writes docs/graphiql.png (a query run, the docs explorer open) and docs/swagger-ui.png
// (GET /api/v1/essays tried out). Run it against `ou serve --demo`.

import { fileURLToPath } from 'node:url';
import {
  launch, openPage, openGraphiql, typeQuery, prettify, runQuery, browseDocs, openSwagger, tryOperation,
  EXAMPLE_QUERY,
} from './lib/browser.mjs';

const baseUrl = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(baseUrl)) {
  console.error('usage: node screenshots.mjs BASE_URL   (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const docs = (name) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));

const browser = await launch();
try {
  {
    const { context, page, problems } = await openPage(browser, baseUrl);
    await openGraphiql(page, baseUrl);
    await typeQuery(page, EXAMPLE_QUERY);
    await prettify(page);
    await runQuery(page);
    await browseDocs(page);
    await page.mouse.move(0, 0); // no hover highlight in the picture
    await page.screenshot({ path: docs('graphiql.png') });
    console.log('wrote docs/graphiql.png');
    if (problems.length) console.warn(problems.join('\n'));
    await context.close();
  }
  {
    const { context, page, problems } = await openPage(browser, baseUrl, { viewport: { width: 1400, height: 1000 } });
    await openSwagger(page, baseUrl);
    // A short answer that fits in the picture.
    const { block } = await tryOperation(page, 'GET', '/api/v1/essays', {
      params: { limit: '2', fields: 'slug,title,published_at' },
    });
    // The Execute button at the top, the live response below it.
    await block.getByRole('button', { name: 'Execute' }).evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: docs('swagger-ui.png') });
    console.log('wrote docs/swagger-ui.png');
    if (problems.length) console.warn(problems.join('\n'));
    await context.close();
  }
} finally {
  await browser.close();
}
