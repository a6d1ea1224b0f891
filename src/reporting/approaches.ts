import { APPROACHES, CONTACT_MODES } from '../referrals/schema.ts';

// The approaches and modes a contact records (referrals' own lists), as the reports name them.
export const APPROACH_CODES: readonly string[] = Object.keys(APPROACHES);
export const approachLabel = (code: string) => (APPROACHES as Record<string, string>)[code] ?? code;
export const MODE_CODES: readonly string[] = Object.keys(CONTACT_MODES);
export const modeLabel = (code: string) => (CONTACT_MODES as Record<string, string>)[code] ?? code;
