/**
 * The needs link workers work with. They are the directory's top-level taxonomy (services are
 * tagged with them), the reasons on a referral, and the domains of an assessment.
 * `snomed` is set only where a verified SNOMED CT concept exists for the onward referral
 * (see docs/data-sources.md); we do not invent codes.
 */
export interface Need {
  code: string;
  label: string;
  /** Plain-English wording for the public self-referral form. */
  publicLabel: string;
  snomed?: { code: string; display: string };
}

export const NEEDS: readonly Need[] = [
  { code: 'loneliness', label: 'Loneliness and isolation', publicLabel: 'Feeling lonely or cut off from people' },
  { code: 'money', label: 'Money and debt', publicLabel: 'Money worries or debt' },
  { code: 'housing', label: 'Housing', publicLabel: 'Housing problems' },
  { code: 'employment', label: 'Employment and volunteering', publicLabel: 'Work, training or volunteering' },
  {
    code: 'physical-activity', label: 'Physical activity', publicLabel: 'Getting more active',
    snomed: { code: '390893007', display: 'Referral to physical activity program' },
  },
  { code: 'healthy-eating', label: 'Healthy eating and weight', publicLabel: 'Healthy eating or weight' },
  { code: 'mental-wellbeing', label: 'Mental wellbeing and stress', publicLabel: 'Stress, low mood or anxiety' },
  { code: 'bereavement', label: 'Bereavement', publicLabel: 'Grief after someone has died' },
  { code: 'carers', label: 'Carers', publicLabel: 'Caring for someone' },
  { code: 'long-term-conditions', label: 'Long-term conditions', publicLabel: 'Living with a long-term health condition' },
  { code: 'arts', label: 'Arts and creativity', publicLabel: 'Arts, crafts or music' },
  { code: 'gardening', label: 'Gardening and nature', publicLabel: 'Gardening or being outdoors' },
  { code: 'learning', label: 'Learning', publicLabel: 'Learning something new' },
  { code: 'digital', label: 'Digital inclusion', publicLabel: 'Using phones, computers or the internet' },
  { code: 'food', label: 'Food', publicLabel: 'Getting enough food' },
  { code: 'transport', label: 'Transport', publicLabel: 'Getting about or transport' },
];

const byCode = new Map(NEEDS.map((need) => [need.code, need]));

export function findNeed(code: string): Need | undefined {
  return byCode.get(code);
}

export function isNeedCode(code: string): boolean {
  return byCode.has(code);
}
