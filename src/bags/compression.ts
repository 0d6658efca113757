import { decompress as zstdDecompress } from 'fzstd';
import { compress as lz4Compress, decompress as lz4Decompress } from 'lz4js';
import { StriderError } from '../util/StriderError.js';

/**
 * MCAP chunk decompressors for what rosbag2 writes (zstd, lz4), pure JavaScript: Node 20 has no
 * zstd. Each checks the output length against the size the chunk declares.
 */
export const DECOMPRESS_HANDLERS = {
  zstd: (buffer: Uint8Array, size: bigint): Uint8Array =>
    checked('zstd', zstdDecompress(buffer, new Uint8Array(Number(size))), size),
  lz4: (buffer: Uint8Array, size: bigint): Uint8Array =>
    checked('lz4', lz4Decompress(buffer, Number(size)), size),
};

function checked(kind: string, out: Uint8Array, size: bigint): Uint8Array {
  if (BigInt(out.length) !== size) {
    throw new StriderError(
      'BAG_CORRUPT',
      `${kind} chunk decompressed to ${out.length} bytes, the chunk declares ${size}`,
    );
  }
  return out;
}

/** LZ4 frame compression for the recorder's chunks. */
export function compressLz4(data: Uint8Array): { compression: string; compressedData: Uint8Array } {
  return { compression: 'lz4', compressedData: lz4Compress(data) };
}
