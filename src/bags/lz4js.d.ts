/** Types for lz4js 0.2 (pure JavaScript LZ4 frame format), which ships none. */
declare module 'lz4js' {
  /** Decompresses an LZ4 frame; `maxSize` bounds the output. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Compresses into an LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
