/**
 * Every message Signpost sends through GOV.UK Notify, by our template name, with who gets it.
 * Each needs a template in Notify, configured as NOTIFY_TEMPLATE_<NAME> (hyphens as underscores);
 * docs/operations.md lists their personalisation.
 */
export const NOTIFICATION_TEMPLATES = {
  invitation: 'a new user: set up your account',
  'access-granted': 'an existing user given access to another service',
  'password-reset': 'a user who asked to reset their password',
  self_referral_confirmation: 'a person who referred themself: we have your referral',
  self_referral_allocated: 'a person who referred themself: a link worker has been allocated',
  referral_status_changed: 'the referrer: the referral moved on',
  unable_to_contact: 'the referrer: we could not reach the person',
  discharge_summary_ready: 'the referrer: the discharge summary is ready',
  safeguarding_concern_raised: 'leads: a safeguarding concern was raised',
  link_worker_reminders: 'a link worker: reminders are due on the caseload',
  onward_referral_received: 'a provider with a Signpost inbox: a new onward referral',
  onward_referral_email: 'a provider without an inbox: an onward referral by secure email',
  onward_referral_update: 'a provider: an onward referral changed',
  onward_referral_nudge_provider: 'a provider: an onward referral is waiting for an answer',
  onward_referral_nudge_worker: 'a link worker: an onward referral has had no answer',
  onward_referral_follow_up: 'the person: did you get to the service?',
  outcome_measure_link: 'the person: a link to answer an outcome measure',
  appointment_reminder: 'the person: an appointment tomorrow',
  directory_freshness_reminder: 'a provider: please check your directory entries',
} as const;

export type NotificationTemplate = keyof typeof NOTIFICATION_TEMPLATES;

/** Configuration keys use underscores: NOTIFY_TEMPLATE_PASSWORD_RESET is `password-reset`. */
export function templateKey(template: string): string {
  return template.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

export const TEMPLATE_KEYS: ReadonlySet<string> = new Set(Object.keys(NOTIFICATION_TEMPLATES).map(templateKey));
