/**
 * A key sent where it should not be (a query string, a path) must still not
 * reach the log. Keys look like `mgk_<id>_<secret>`: the id stays, so a line
 * still says which key was used; the secret goes. Query parameters whose name
 * says they carry a credential lose their whole value.
 */
const KEY_SECRET = /(mgk_[A-Za-z0-9]+_)[A-Za-z0-9]+/g;
const CREDENTIAL_PARAM = /([?&](?:[^=&]*(?:key|token|secret|password|auth)[^=&]*)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  // Most URLs carry neither: skip the regular expressions on the common path.
  const q = url.indexOf('?');
  if (q < 0 && !url.includes('mgk_')) return url;
  let out = url.replace(KEY_SECRET, '$1[redacted]');
  if (q >= 0) out = out.replace(CREDENTIAL_PARAM, '$1[redacted]');
  return out;
}
