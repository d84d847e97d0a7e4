import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    text += alphabet.charAt(randomInt(alphabet.length));
  }
  return text;
}

/** Makes an access key ID in AWS's shape: AKIA for long-term keys, ASIA for temporary ones, then 16 characters. */
export function makeAccessKeyId(prefix: 'AKIA' | 'ASIA'): string {
  return prefix + randomString(KEY_ID_ALPHABET, 16);
}

/** Makes a 40-character secret access key. */
export function makeSecretAccessKey(): string {
  return randomString(SECRET_ALPHABET, 40);
}

/** Makes a session token; real ones are a few hundred base64 characters, and so are these. */
export function makeSessionToken(): string {
  return randomBytes(300).toString('base64');
}

/** Makes a unique ID in the role and user ID form that STS returns (e.g. AROA…). */
export function makeUniqueId(prefix: string): string {
  return prefix + randomString(KEY_ID_ALPHABET, 17);
}

export function makeRequestId(): string {
  return randomUUID();
}
