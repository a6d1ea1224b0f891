/**
 * NHS Data Dictionary ETHNIC CATEGORY codes (2001 census categories A-S, Z "Not stated", and
 * the default 99 "Not known"). Source and licence: docs/data-sources.md (OGL v3.0).
 */
export interface EthnicCategory {
  code: string;
  group: string;
  description: string;
}

export const ETHNIC_CATEGORIES: readonly EthnicCategory[] = [
  { code: 'A', group: 'White', description: 'British' },
  { code: 'B', group: 'White', description: 'Irish' },
  { code: 'C', group: 'White', description: 'Any other White background' },
  { code: 'D', group: 'Mixed', description: 'White and Black Caribbean' },
  { code: 'E', group: 'Mixed', description: 'White and Black African' },
  { code: 'F', group: 'Mixed', description: 'White and Asian' },
  { code: 'G', group: 'Mixed', description: 'Any other mixed background' },
  { code: 'H', group: 'Asian or Asian British', description: 'Indian' },
  { code: 'J', group: 'Asian or Asian British', description: 'Pakistani' },
  { code: 'K', group: 'Asian or Asian British', description: 'Bangladeshi' },
  { code: 'L', group: 'Asian or Asian British', description: 'Any other Asian background' },
  { code: 'M', group: 'Black or Black British', description: 'Caribbean' },
  { code: 'N', group: 'Black or Black British', description: 'African' },
  { code: 'P', group: 'Black or Black British', description: 'Any other Black background' },
  { code: 'R', group: 'Other Ethnic Groups', description: 'Chinese' },
  { code: 'S', group: 'Other Ethnic Groups', description: 'Any other ethnic group' },
  { code: 'Z', group: 'Not stated', description: 'Not stated' },
  { code: '99', group: 'Not known', description: 'Not known' },
];

const byCode = new Map(ETHNIC_CATEGORIES.map((c) => [c.code, c]));

export function findEthnicCategory(code: string): EthnicCategory | undefined {
  return byCode.get(code);
}

export function ethnicCategoryLabel(code: string | null | undefined): string {
  const c = code ? byCode.get(code) : undefined;
  if (!c) return '';
  return c.group === c.description ? c.description : `${c.group}: ${c.description}`;
}
