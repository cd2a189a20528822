/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Secret Manager keeps for
 * every payload. Node's `zlib.crc32` is IEEE CRC-32 and gives different values, and no CRC32C
 * package is a dependency, so this is the small table-driven form (checked against the RFC 3720
 * test vectors in the tests).
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** The CRC32C of `data`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < data.length; index++) {
    crc = (TABLE[(crc ^ (data[index] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
