/**
 * NHS numbers: ten digits, the last a modulus 11 check digit (NHS Data Dictionary, "NHS NUMBER").
 * People type them with spaces; we store the ten digits and show them 3-3-4.
 */

/** The ten digits with spaces and dashes removed, or undefined when it is not ten digits. */
export function compactNhsNumber(raw: string): string | undefined {
  const compact = raw.trim().replace(/\s/g, '');
  return /^\d{10}$/.test(compact) ? compact : undefined;
}

/** The check digit for nine digits, or undefined when no check digit can make them valid (10). */
export function nhsCheckDigit(nineDigits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

export function isValidNhsNumber(raw: string): boolean {
  const compact = compactNhsNumber(raw);
  if (!compact) return false;
  return nhsCheckDigit(compact.slice(0, 9)) === Number(compact[9]);
}

/**
 * The example the forms give: a valid number from the 999 test range (no real person holds it),
 * so someone copying the example's shape is never told the example itself is wrong.
 */
export const EXAMPLE_NHS_NUMBER = '999 000 0018';

/** "9434765919" -> "943 476 5919". */
export function formatNhsNumber(digits: string | null | undefined): string {
  if (!digits) return '';
  const compact = compactNhsNumber(digits) ?? digits;
  return compact.length === 10 ? `${compact.slice(0, 3)} ${compact.slice(3, 6)} ${compact.slice(6)}` : compact;
}

/**
 * Valid numbers from the 999 test range, which no real person holds, in order from
 * 999 000 000 + `from` (stems whose check digit would be 10 are skipped): for demo data,
 * benchmarks and tests.
 */
export function* testRangeNhsNumbers(from = 0): Generator<string> {
  for (let stem = 999_000_000 + from; stem <= 999_999_999; stem++) {
    const nine = String(stem);
    const check = nhsCheckDigit(nine);
    if (check !== undefined) yield `${nine}${check}`;
  }
}
