/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TensorFlow's record and
 * table formats (tfevents, TFRecord, TensorBundle), and the "masked" form those files store so that
 * a CRC of data that itself holds CRCs stays well distributed. Not zlib's CRC-32: another polynomial.
 */

// Slicing-by-8 tables: TABLES[k][b] is the CRC of byte b followed by k zero bytes. Checkpoints hold
// hundreds of megabytes of weights, so eight bytes per step instead of one is worth the 8 KiB.
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[0][b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) tables[k][b] = (tables[k - 1][b] >>> 8) ^ tables[0][tables[k - 1][b] & 0xff];
  }
  return tables;
})();

/** The CRC-32C of `bytes`; pass an earlier result as `crc` to extend it over more bytes. */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24]
      ^ t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const MASK_DELTA = 0xa282ead8;

/** The masked CRC that TensorFlow stores: rotated right by 15 bits, plus a constant. */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** The masked CRC-32C of `bytes`, as TFRecord stores it after a record's length and its data. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc32c(crc32c(bytes));
}

/** The CRC that a stored masked CRC stands for. */
export function unmaskCrc32c(masked: number): number {
  const r = (masked - MASK_DELTA) >>> 0;
  return ((r >>> 17) | (r << 15)) >>> 0;
}
