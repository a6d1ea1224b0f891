/**
 * SNOMED CT concepts for social prescribing, copied from the project's reference list
 * (social-prescribing-codes.csv; sources and licence in docs/data-sources.md). Only concepts
 * confirmed by at least one stored source are here as facts for the GP record.
 *
 * Not used: 871691000000100 "Social prescribing offered" is UNVERIFIED (no stored source lists
 * it); it must be checked in the NHS England SNOMED CT browser before it is ever emitted.
 */
export interface SnomedConcept {
  code: string;
  display: string;
}

export const SNOMED = {
  /** First interaction of an episode only: the person accepted referral to a link worker. */
  referralToSocialPrescribing: { code: '871731000000106', display: 'Referral to social prescribing service' },
  /** The person declined referral to the link worker. */
  socialPrescribingDeclined: { code: '871711000000103', display: 'Social prescribing declined' },
  referralToSocialServices: { code: '306238000', display: 'Referral to Social Services' },
  signpostingToSocialServices: { code: '1084431000000106', display: 'Signposting to Social Services' },
  referralToPhysicalActivityProgram: { code: '390893007', display: 'Referral to physical activity program' },
  socialServiceProcedure: { code: '410606002', display: 'Social service procedure' },
} as const satisfies Record<string, SnomedConcept>;
