// Verifies a webhook delivery with Node's own crypto (no dependency): the raw body exactly as
// received, the three webhook-* headers, and the endpoint's whsec_ secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Returns the event when the delivery is genuine and fresh; throws otherwise. */
export function verifyWebhook(secret, headers, rawBody, toleranceSeconds = 300) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) throw new Error('not a webhook delivery: headers missing');
  // A stale timestamp means a replayed request.
  if (!(Math.abs(Date.now() / 1000 - Number(timestamp)) <= toleranceSeconds)) throw new Error('timestamp too old or too new');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest();
  // During a secret rotation the header holds one signature per secret: any may match.
  const genuine = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!genuine) throw new Error('no valid signature');
  return JSON.parse(rawBody);
}
