/**
 * Codecs keyed by media type and alias. Later issues register more (SenML, LwM2M TLV, DDS samples) on the same
 * registry the mapping compiler resolves rule codecs against.
 */
import { CodecError } from '../errors.js';
import { cborCodec } from './cbor.js';
import { jsonCodec } from './json.js';
import { rawCodec } from './raw.js';
import { textCodec } from './text.js';
import type { Codec } from './types.js';

/** Media types compare case-insensitively and without parameters (RFC 6838 §4.2, RFC 9110 §8.3.1). */
export function normalizeMediaType(name: string): string {
  const semicolon = name.indexOf(';');
  return (semicolon < 0 ? name : name.slice(0, semicolon)).trim().toLowerCase();
}

export class CodecRegistry {
  readonly #byName = new Map<string, Codec>();
  readonly #codecs: Codec[] = [];

  /** Adds a codec under its media type and aliases; a name already taken is an error (PH_CODEC_DUPLICATE). */
  register(codec: Codec): void {
    const names = [codec.mediaType, ...codec.aliases].map(normalizeMediaType);
    const taken = names.filter((n) => this.#byName.has(n));
    if (taken.length > 0) {
      throw new CodecError(
        'PH_CODEC_DUPLICATE',
        `codec ${codec.mediaType}: name(s) already registered: ${taken.join(', ')}`,
      );
    }
    for (const n of names) this.#byName.set(n, codec);
    this.#codecs.push(codec);
  }

  /** Looks up "application/json", "Application/JSON; charset=utf-8" or an alias such as "json". */
  get(mediaTypeOrAlias: string): Codec | undefined {
    return this.#byName.get(normalizeMediaType(mediaTypeOrAlias));
  }

  /** Every registered codec, in registration order. */
  list(): readonly Codec[] {
    return this.#codecs;
  }

  /** Short names for error messages: the first alias of each codec, or its media type. */
  names(): string[] {
    return this.#codecs.map((c) => c.aliases[0] ?? c.mediaType);
  }
}

/** A fresh registry with raw, text, JSON and CBOR. */
export function defaultCodecs(): CodecRegistry {
  const registry = new CodecRegistry();
  for (const codec of [rawCodec, textCodec, jsonCodec, cborCodec]) registry.register(codec);
  return registry;
}
