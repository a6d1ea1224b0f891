import { FormField } from '../web/schemas.ts';
import { isNeedCode } from '../vocabulary/needs.ts';
import type { FieldError } from '../web/errors.ts';
import { field as text, fields as list, version as checkVersion } from '../web/forms.ts';
import { EMAIL, optional, tooLong, type Checked } from '../people/schema.ts';

// The shapes a referral takes on its way in, and the checks that give a person a message they
// can act on. Form bodies arrive as loose strings; these turn them into typed input.

export const SOURCES = {
  gp: 'GP',
  practice_nurse: 'Practice nurse',
  practice_staff: 'Other practice staff',
  hospital: 'Hospital',
  social_care: 'Social care',
  community: 'Community or voluntary organisation',
  self: 'The person themself',
  other: 'Other',
} as const;
export type ReferralSource = keyof typeof SOURCES;

export const CHANNELS = {
  web: 'Entered by the referrer',
  letter: 'Letter',
  phone: 'Phone call',
  email: 'Email',
  self: 'Self-referral online',
  fhir: 'GP system (FHIR)',
} as const;
export type ReferralChannel = keyof typeof CHANNELS;

export const URGENCIES = { routine: 'Routine', soon: 'Soon (within 2 weeks)', urgent: 'Urgent (within 2 working days)' } as const;
export type Urgency = keyof typeof URGENCIES;

export const CONTACT_MODES = {
  phone: 'Phone',
  face_to_face: 'Face to face',
  home_visit: 'Home visit',
  video: 'Video',
  group: 'Group',
  text_email: 'Text or email',
} as const;
export type ContactMode = keyof typeof CONTACT_MODES;

export const APPROACHES = {
  signposting: 'Signposting',
  guided_conversation: 'Guided conversation',
  motivational_interviewing: 'Motivational interviewing',
  health_coaching: 'Health coaching',
  counselling_informed: 'Counselling-informed support',
  warm_handover: 'Accompanied first visit or warm handover',
  group_session: 'Group session',
  practical_help: 'Practical help with forms',
} as const;
export type Approach = keyof typeof APPROACHES;

export interface ReferralInput {
  source: ReferralSource;
  channel: ReferralChannel;
  referrerName: string | null;
  referrerOrganisation: string | null;
  referrerEmail: string | null;
  reasons: string[];
  context: string | null;
  urgency: Urgency;
  consentToRefer: boolean;
  consentToShare: boolean;
  /** Consent to the use of pseudonymised records in approved research; not given unless asked and agreed. */
  consentToResearch?: boolean;
  risk: string | null;
}

/** Form fields through the one forms module: strings or a 400, trimmed, within limits. */
export { text, list };

/** The referral's reason page: source, referrer, needs, context, urgency. */
export function checkReferralReason(
  body: unknown,
  options: { public?: boolean } = {},
): Checked<
  Pick<ReferralInput, 'source' | 'channel' | 'referrerName' | 'referrerOrganisation' | 'referrerEmail' | 'reasons' | 'context' | 'urgency'>
> {
  const errors: FieldError[] = [];
  const source = options.public ? 'self' : text(body, 'source');
  if (!(source in SOURCES)) errors.push({ field: 'source', message: 'Select who is referring' });
  const channel = options.public ? 'self' : text(body, 'channel') || 'web';
  if (!(channel in CHANNELS)) errors.push({ field: 'channel', message: 'Select how the referral arrived' });
  const referrerName = text(body, 'referrerName');
  const referrerOrganisation = text(body, 'referrerOrganisation');
  const referrerEmail = text(body, 'referrerEmail');
  tooLong(errors, 'referrerName', referrerName, 200, 'Referrer name');
  tooLong(errors, 'referrerOrganisation', referrerOrganisation, 200, 'Organisation');
  if (referrerEmail && !EMAIL.test(referrerEmail))
    errors.push({ field: 'referrerEmail', message: 'Enter the referrer’s email address in the correct format, like name@example.nhs.uk' });
  const reasons = [...new Set(list(body, 'reasons'))];
  if (reasons.length === 0) {
    errors.push({
      field: 'reasons',
      message: options.public ? 'Select at least one thing you would like help with' : 'Select at least one reason for the referral',
    });
  } else if (reasons.some((r) => !isNeedCode(r))) {
    errors.push({ field: 'reasons', message: 'Select reasons from the list' });
  }
  const context = text(body, 'context');
  tooLong(errors, 'context', context, 4000, options.public ? 'What you tell us' : 'Context');
  const urgency = options.public ? 'routine' : text(body, 'urgency') || 'routine';
  if (!(urgency in URGENCIES)) errors.push({ field: 'urgency', message: 'Select how urgent the referral is' });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      source: source as ReferralSource,
      channel: channel as ReferralChannel,
      referrerName: optional(referrerName),
      referrerOrganisation: optional(referrerOrganisation),
      referrerEmail: optional(referrerEmail),
      reasons,
      context: optional(context),
      urgency: urgency as Urgency,
    },
  };
}

/** Consent to refer, to share and to research, and any known risk. Consent to refer is required. */
export function checkConsent(
  body: unknown,
  options: { public?: boolean } = {},
): Checked<Pick<ReferralInput, 'consentToRefer' | 'consentToShare' | 'consentToResearch' | 'risk'>> {
  const errors: FieldError[] = [];
  const refer = text(body, 'consentToRefer');
  const share = text(body, 'consentToShare');
  if (refer !== 'yes') {
    errors.push({
      field: 'consentToRefer',
      message: options.public
        ? 'You need to agree to us contacting you before you can send this'
        : 'The person must agree to the referral before you send it. Confirm they have agreed',
    });
  }
  if (!options.public && share !== 'yes' && share !== 'no')
    errors.push({ field: 'consentToShare', message: 'Select whether the person agrees to share their information' });
  const risk = text(body, 'risk');
  tooLong(errors, 'risk', risk, 2000, 'Risk');
  if (errors.length) return { ok: false, errors };
  // Research consent is optional and only "yes" gives it: unanswered means not given.
  const research = text(body, 'consentToResearch') === 'yes';
  return {
    ok: true,
    value: {
      consentToRefer: true,
      consentToShare: options.public ? share === 'yes' : share === 'yes',
      consentToResearch: research,
      risk: optional(risk),
    },
  };
}

export interface ContactInput {
  outcome: 'attempted' | 'made';
  mode: ContactMode;
  minutes: number | null;
  approach: Approach | null;
  notes: string | null;
}

export function checkContact(body: unknown): Checked<ContactInput> {
  const errors: FieldError[] = [];
  const outcome = text(body, 'outcome');
  if (outcome !== 'attempted' && outcome !== 'made') errors.push({ field: 'outcome', message: 'Select whether you spoke to the person' });
  const mode = text(body, 'mode');
  if (!(mode in CONTACT_MODES)) errors.push({ field: 'mode', message: 'Select how you tried to make contact' });
  const rawMinutes = text(body, 'minutes');
  let minutes: number | null = null;
  if (rawMinutes) {
    if (!/^\d{1,3}$/.test(rawMinutes) || Number(rawMinutes) > 600)
      errors.push({ field: 'minutes', message: 'Minutes must be a whole number from 0 to 600' });
    else minutes = Number(rawMinutes);
  }
  const approach = text(body, 'approach');
  if (approach && !(approach in APPROACHES)) errors.push({ field: 'approach', message: 'Select the approach from the list' });
  if (outcome === 'made' && !approach) errors.push({ field: 'approach', message: 'Select the approach you used' });
  const notes = text(body, 'notes');
  tooLong(errors, 'notes', notes, 8000, 'Notes');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      outcome: outcome as ContactInput['outcome'],
      mode: mode as ContactMode,
      minutes,
      approach: (approach || null) as Approach | null,
      notes: optional(notes),
    },
  };
}

/** The version an edit form carries, for optimistic locking: required, or a 400. */
export { checkVersion };

/** The reason for the referral as its form posts it (the staff question page and the public form). */
export const ReasonFields = {
  source: FormField,
  channel: FormField,
  referrerName: FormField,
  referrerOrganisation: FormField,
  referrerEmail: FormField,
  reasons: FormField,
  context: FormField,
  urgency: FormField,
};

/** The consents and known risks as their form posts them. */
export const ConsentFields = { consentToRefer: FormField, consentToShare: FormField, consentToResearch: FormField, risk: FormField };

/** A contact as its form posts it. */
export const ContactFields = { outcome: FormField, mode: FormField, minutes: FormField, approach: FormField, notes: FormField };
