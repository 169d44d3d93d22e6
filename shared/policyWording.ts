/**
 * A policy's version as people read it. Packs carry the version as their partnership wrote it
 * ("1.5", "unversioned", "2012, as reviewed"); pages say it in words and never show raw pack text.
 */
export function policyVersionWords(version: string | undefined): string {
  const v = (version ?? '').trim();
  if (!v || /^(unversioned|none|n\/a|-)$/i.test(v)) return 'no version number';
  const plain = v.replace(/^v(?:ersion)?\s*(?=\d)/i, '');
  if (/^\d+(?:\.\d+)*$/.test(plain)) return `version ${plain}`;
  // "2012, as reviewed": a year with a note, said as the year's edition.
  const year = /^(\d{4})\s*,?\s*(.*)$/.exec(plain);
  if (year) return year[2] ? `${year[1]} edition, ${year[2]}` : `${year[1]} edition`;
  return plain;
}

/** "Bromley ... policy, version 1.5"; "Barnet ... policy (no version number)". */
export function policyWithVersion(title: string | undefined, version: string | undefined): string {
  const words = policyVersionWords(version);
  const name = (title ?? '').trim() || 'The policy';
  return words === 'no version number' ? `${name} (no version number)` : `${name}, ${words}`;
}
