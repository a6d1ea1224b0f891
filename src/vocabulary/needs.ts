import { SNOMED } from '../interop/snomed.ts';

/** A service type of the LGA (esd) Service list: its numeric identifier and its label there. */
export interface LgaServiceType {
  code: string;
  label: string;
}

/**
 * The needs link workers work with. They are the directory's top-level taxonomy (services are
 * tagged with them), the reasons on a referral, and the domains of an assessment.
 * `snomed` is set only where a verified SNOMED CT concept exists for the onward referral, and
 * `lga` only where the LGA (esd) Service list has a fitting service type (see
 * docs/data-sources.md); we do not invent codes.
 */
export interface Need {
  code: string;
  label: string;
  /** Plain-English wording for the public self-referral form. */
  publicLabel: string;
  snomed?: { code: string; display: string };
  /** LGA service types (http://id.esd.org.uk/service/<code>) a service meeting this need provides. */
  lga?: readonly LgaServiceType[];
}

export const NEEDS: readonly Need[] = [
  {
    code: 'loneliness',
    label: 'Loneliness and isolation',
    publicLabel: 'Feeling lonely or cut off from people',
    lga: [
      { code: '241', label: 'Leisure and social activities inclusion' },
      { code: '297', label: 'Community support groups and organisations' },
    ],
  },
  {
    code: 'money',
    label: 'Money and debt',
    publicLabel: 'Money worries or debt',
    lga: [
      { code: '651', label: 'Debt counselling' },
      { code: '189', label: 'Welfare rights advice' },
      { code: '190', label: 'Benefits advice and assessment' },
    ],
  },
  {
    code: 'housing',
    label: 'Housing',
    publicLabel: 'Housing problems',
    lga: [{ code: '112', label: 'Homelessness support' }],
  },
  {
    code: 'employment',
    label: 'Employment and volunteering',
    publicLabel: 'Work, training or volunteering',
    lga: [
      { code: '343', label: 'Employment and training initiatives' },
      { code: '1113', label: 'Volunteering' },
    ],
  },
  {
    code: 'physical-activity',
    label: 'Physical activity',
    publicLabel: 'Getting more active',
    snomed: SNOMED.referralToPhysicalActivityProgram,
    lga: [{ code: '885', label: 'Sports development' }],
  },
  {
    code: 'healthy-eating',
    label: 'Healthy eating and weight',
    publicLabel: 'Healthy eating or weight',
    lga: [{ code: '199', label: 'Health advice' }],
  },
  {
    code: 'mental-wellbeing',
    label: 'Mental wellbeing and stress',
    publicLabel: 'Stress, low mood or anxiety',
    lga: [
      { code: '1284', label: 'Mental health support' },
      { code: '163', label: 'Counselling' },
    ],
  },
  {
    code: 'bereavement',
    label: 'Bereavement',
    publicLabel: 'Grief after someone has died',
    lga: [{ code: '328', label: 'Bereavement support' }],
  },
  {
    code: 'carers',
    label: 'Carers',
    publicLabel: 'Caring for someone',
    lga: [
      { code: '225', label: 'Adult carers' },
      { code: '300', label: 'Young carers support' },
    ],
  },
  {
    code: 'long-term-conditions',
    label: 'Long-term conditions',
    publicLabel: 'Living with a long-term health condition',
    lga: [{ code: '199', label: 'Health advice' }],
  },
  {
    code: 'arts',
    label: 'Arts and creativity',
    publicLabel: 'Arts, crafts or music',
    lga: [
      { code: '884', label: 'Arts development' },
      { code: '838', label: 'Arts organisations and events' },
    ],
  },
  {
    code: 'gardening',
    label: 'Gardening and nature',
    publicLabel: 'Gardening or being outdoors',
    lga: [{ code: '510', label: 'Allotments' }],
  },
  {
    code: 'learning',
    label: 'Learning',
    publicLabel: 'Learning something new',
    lga: [{ code: '27', label: 'Adult education courses' }],
  },
  {
    code: 'digital',
    label: 'Digital inclusion',
    publicLabel: 'Using phones, computers or the internet',
    lga: [{ code: '442', label: 'Library computers and the internet' }],
  },
  // The LGA Service list has no food bank or food poverty service type, so food has no mapping.
  { code: 'food', label: 'Food', publicLabel: 'Getting enough food' },
  {
    code: 'transport',
    label: 'Transport',
    publicLabel: 'Getting about or transport',
    lga: [{ code: '272', label: 'Community transport' }],
  },
];

/** The needs as a select offers them. */
export const NEED_CHOICES = NEEDS.map((need) => ({ value: need.code, text: need.label }));

const byCode = new Map(NEEDS.map((need) => [need.code, need]));

export function findNeed(code: string): Need | undefined {
  return byCode.get(code);
}

export function isNeedCode(code: string): boolean {
  return byCode.has(code);
}
