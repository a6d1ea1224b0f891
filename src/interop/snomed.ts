/**
 * SNOMED CT concepts for social prescribing, copied from the project's reference list
 * (social-prescribing-codes.csv; sources and licence in docs/data-sources.md). Only concepts
 * confirmed by at least one stored source are here as facts for the GP record.
 *
 * Used by the discharge summary (its codes for the GP record), the FHIR resources (ServiceRequest
 * category and code, the discharge DocumentReference's events) and the directory's needs (the
 * onward-referral code of a need). Each concept's source is in SNOMED_SOURCES.
 *
 * Not used: 871691000000100 "Social prescribing offered" is UNVERIFIED (no stored source lists
 * it); it must be checked in the NHS England SNOMED CT browser before it is ever emitted.
 */
export interface SnomedConcept {
  code: string;
  display: string;
}

/** Where each concept is confirmed: keys of /work/shared/data/snomed/README.md, listed in docs/data-sources.md. */
export const SNOMED_SOURCES: Record<string, string> = {
  '871731000000106':
    'S1 (NHS England guidance quoted by Transformation Partners in Health and Care); S2; S3 (Greater Manchester SDE social-care-prescribing-referral code set)',
  '871711000000103': 'S1; S2',
  '306238000': 'S3 (social-care-referral code set); S5 (SNOMED CT browser)',
  '1084431000000106': 'S3 (social-care-referral code set)',
  '390893007': 'S3 (social-care-prescribing-referral code set)',
  '410606002': 'S6 (HL7 Gravity SDOH Clinical Care examples, ServiceRequest.category)',
};

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
