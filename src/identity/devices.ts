import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Device cookies (OWASP's answer to lockout used as denial of service): a browser that has signed
 * in as someone keeps a signed, HttpOnly cookie naming that user and a random device id. A later
 * sign-in as the same user from that browser is counted apart from everyone else's attempts, so
 * strangers guessing at an email address cannot lock its owner out of their own computer.
 */
export const DEVICE_COOKIE = 'signpost_device';
const DEVICE_COOKIE_SECONDS = 365 * 86_400;
// A shared NHS computer may be used by a few members of staff in turn.
const DEVICES_PER_BROWSER = 5;

export interface KnownDevice {
  userId: string;
  deviceId: string;
}

const ENTRY = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})$/;

/** The users this browser has signed in as, if its cookie's signature (HMAC with the session secret) holds. */
export function knownDevices(req: FastifyRequest): KnownDevice[] {
  const raw = req.cookies?.[DEVICE_COOKIE];
  if (!raw) return [];
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return [];
  return unsigned.value.split('~').flatMap((entry) => {
    const match = ENTRY.exec(entry);
    return match ? [{ userId: match[1]!, deviceId: match[2]! }] : [];
  });
}

export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

/** Remembers this browser for the user (most recent first), keeping a few others who used it. */
export function rememberDevice(req: FastifyRequest, reply: FastifyReply, device: KnownDevice): void {
  const others = knownDevices(req).filter((d) => d.userId !== device.userId);
  const value = [device, ...others]
    .slice(0, DEVICES_PER_BROWSER)
    .map((d) => `${d.userId}.${d.deviceId}`)
    .join('~');
  reply.setCookie(DEVICE_COOKIE, value, {
    // Only the sign-in form needs it.
    path: '/sign-in',
    httpOnly: true,
    sameSite: 'strict',
    signed: true,
    maxAge: DEVICE_COOKIE_SECONDS,
    secure: reply.server.config.baseUrl.startsWith('https:'),
  });
}
