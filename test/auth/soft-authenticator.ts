// A software WebAuthn authenticator for HTTP tests: real ES256 keys, real CBOR, real signatures,
// so the server's verification runs exactly as with a browser. (Browser tests use Chrome's own
// virtual authenticator instead.) It can also misbehave on purpose: wrong RP, no user
// verification, someone else's user handle.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

function head(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) return Buffer.from([(major << 5) | 25, value >> 8, value & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(value, 1);
  return out;
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Buffer;
  userHandle: Buffer;
  rpId: string;
  counter: number;
}

export interface Behaviour {
  /** Claim user verification (PIN, biometrics); real passkeys do. */
  userVerified?: boolean;
  /** Sign for this RP id instead of the one in the options (a phishing site's, say). */
  rpId?: string;
  /** The origin the "browser" reports. */
  origin?: string;
  /** Report this user handle instead of the stored one. */
  userHandle?: Buffer | null;
  /** Do not increase the signature counter. */
  frozenCounter?: boolean;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: { id: string }[];
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(private readonly origin: string) {}

  private authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)]);
  }

  /** navigator.credentials.create() + @simplewebauthn/browser's JSON encoding. */
  create(options: CreationOptions, behaviour: Behaviour = {}) {
    const rpId = behaviour.rpId ?? options.rp.id!;
    for (const excluded of options.excludeCredentials ?? []) {
      if (this.credentials.some((c) => b64url(c.id) === excluded.id)) throw new Error('InvalidStateError: credential excluded');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = randomBytes(16);
    const credential: SoftCredential = { id, privateKey, cose, userHandle: Buffer.from(options.user.id, 'base64url'), rpId, counter: 0 };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, id, cose]);
    const flags = 0x01 | (behaviour.userVerified === false ? 0 : 0x04) | 0x40;
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: behaviour.origin ?? this.origin, crossOrigin: false }),
    );
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData: this.authData(rpId, flags, 0, attested) });
    this.credentials.push(credential);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() with a discoverable credential (the first, or the one named). */
  get(options: RequestOptions, behaviour: Behaviour = {}, credential = this.credentials[0]!) {
    if (options.allowCredentials?.length && !options.allowCredentials.some((c) => c.id === b64url(credential.id))) {
      throw new Error('NotAllowedError: no allowed credential here');
    }
    if (!behaviour.frozenCounter) credential.counter += 1;
    const flags = 0x01 | (behaviour.userVerified === false ? 0 : 0x04);
    const authenticatorData = this.authData(behaviour.rpId ?? options.rpId ?? credential.rpId, flags, credential.counter);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: behaviour.origin ?? this.origin, crossOrigin: false }),
    );
    const signature = sign('sha256', Buffer.concat([authenticatorData, createHash('sha256').update(clientData).digest()]), credential.privateKey);
    const handle = behaviour.userHandle === undefined ? credential.userHandle : behaviour.userHandle;
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(handle ? { userHandle: b64url(handle) } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
