import { hash, verify, Algorithm } from '@node-rs/argon2';

/**
 * Passwords follow NCSC guidance: length over complexity (no rules about symbols or case, no
 * forced expiry), a deny list of the most common passwords, and long passphrases welcome.
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

// The most common passwords of at least 10 characters from public breach-frequency lists, plus
// words anyone guessing at an NHS service would try first.
const COMMON_PASSWORDS = new Set([
  '1234567890',
  '0987654321',
  '1111111111',
  '0000000000',
  '1234512345',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'qwertyuiop',
  'qwerty1234',
  'qwerty12345',
  'qwerty123456',
  'asdfghjkl1',
  'zxcvbnm123',
  'password12',
  'password123',
  'password1234',
  'password01',
  'password!1',
  'passw0rd12',
  'p@ssw0rd12',
  'p@ssword123',
  'iloveyou12',
  'iloveyou123',
  'football12',
  'football123',
  'baseball12',
  'liverpool1',
  'liverpool12',
  'liverpool123',
  'chelsea123',
  'arsenal123',
  'manchester',
  'manutd1234',
  'letmein123',
  'welcome123',
  'welcome1234',
  'welcome2024',
  'welcome2025',
  'welcome2026',
  'sunshine12',
  'princess12',
  'princess123',
  'monkey1234',
  'dragon1234',
  'abc1234567',
  'abcdefghij',
  'abcd123456',
  'a123456789',
  'aa12345678',
  'qazwsxedc1',
  'changeme12',
  'changeme123',
  'trustno123',
  'superman12',
  'batman1234',
  'starwars12',
  'summer2024',
  'summer2025',
  'summer2026',
  'winter2024',
  'winter2025',
  'winter2026',
  'spring2025',
  'autumn2025',
  'january2026',
  'november2026',
  'december2025',
  'computer12',
  'internet12',
  'administrator',
  'admin12345',
  'admin123456',
  'administrator1',
  'nhspassword',
  'nhs1234567',
  'nhsnhsnhs1',
  'password.nhs',
  'doctor1234',
  'nurse12345',
  'hospital123',
  'signpost123',
  'signpost1234',
  'socialprescribing',
  'linkworker1',
  'passwordpassword',
  'qwertyqwerty',
  '123123123123',
  '12345678910',
  '123456789a',
  '987654321a',
  'michael123',
  'jennifer12',
  'charlie123',
  'thomas1234',
  'jessica123',
]);

export interface PasswordProblem {
  field: string;
  message: string;
}

/** Returns what is wrong with a new password, or undefined when it may be used. */
export function checkNewPassword(
  password: string,
  context: { email?: string; name?: string } = {},
  field = 'password',
): PasswordProblem | undefined {
  if (!password) return { field, message: 'Enter a password' };
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return {
      field,
      message: `Password must be ${MIN_PASSWORD_LENGTH} characters or more. Three random words make a strong password that is easy to remember.`,
    };
  }
  if (password.length > MAX_PASSWORD_LENGTH) return { field, message: `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer` };
  const lower = password.toLowerCase();
  const emailName = context.email?.split('@')[0]?.toLowerCase();
  if (COMMON_PASSWORDS.has(lower) || new Set(lower).size < 4) {
    return { field, message: 'That password is too common and easy to guess. Choose a different one, for example three random words.' };
  }
  if ((emailName && emailName.length >= 4 && lower.includes(emailName)) || (context.email && lower.includes(context.email.toLowerCase()))) {
    return { field, message: 'Password must not contain your email address' };
  }
  return undefined;
}

// OWASP's argon2id baseline: 19 MiB memory, 2 iterations, 1 lane.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified when the email is unknown, so a miss takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummyHash ??= hashPassword('not-a-real-password-just-for-timing');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
