/**
 * @module RunPod URL templates: literal placeholder substitution and query appending, byte-for-byte
 * as runpod-python builds them (its templates already carry `?gpu=…`, so it appends with `&`).
 */

/**
 * Replaces every occurrence of each placeholder, literally. `String.replace` with a string pattern
 * would replace only the first match and treat `$&`-style sequences in the value specially.
 * Longer placeholders go first so `$RUNPOD_POD_ID` is never read as `$ID` + `RUNPOD_POD_…`.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const keys = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = template;
  for (const key of keys) out = out.split(key).join(values[key] ?? '');
  return out;
}

/** Appends query parameters with `&` when the URL already has a query, else with `?`. */
export function appendQuery(url: string, params: Readonly<Record<string, string | number>>): string {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  if (qs === '') return url;
  return `${url}${url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?'}${qs}`;
}
