/**
 * A zip writer for the weights tests, by hand (yauzl only reads): every entry stored, and every
 * size and offset moved into ZIP64 extra fields with a ZIP64 end record and locator, as a writer
 * does for files over 4 GB — so a file of a few KB exercises the ZIP64 path. An entry may claim a
 * size it does not hold (`claimedSize`), to craft a directory that lies.
 */

export interface ZipEntryInput {
  name: string;
  data: Uint8Array;
  /** What the directory says the entry holds; its real bytes are `data`. */
  claimedSize?: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const MAX32 = 0xffffffff;

export function zip64(entries: readonly ZipEntryInput[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const size = e.claimedSize ?? e.data.length;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30 + name.length + 20);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4); // version needed: 4.5, ZIP64
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(MAX32, 18);
    local.writeUInt32LE(MAX32, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(20, 28);
    name.copy(local, 30);
    local.writeUInt16LE(0x0001, 30 + name.length); // ZIP64 extended information
    local.writeUInt16LE(16, 32 + name.length);
    local.writeBigUInt64LE(BigInt(size), 34 + name.length);
    local.writeBigUInt64LE(BigInt(size), 42 + name.length);

    const cd = Buffer.alloc(46 + name.length + 28);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(45, 4);
    cd.writeUInt16LE(45, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(MAX32, 20);
    cd.writeUInt32LE(MAX32, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(28, 30);
    cd.writeUInt32LE(MAX32, 42);
    name.copy(cd, 46);
    cd.writeUInt16LE(0x0001, 46 + name.length);
    cd.writeUInt16LE(24, 48 + name.length);
    cd.writeBigUInt64LE(BigInt(size), 50 + name.length);
    cd.writeBigUInt64LE(BigInt(size), 58 + name.length);
    cd.writeBigUInt64LE(BigInt(offset), 66 + name.length);
    central.push(cd);

    parts.push(local, Buffer.from(e.data));
    offset += local.length + e.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const cdOffset = offset;
  const end64 = Buffer.alloc(56);
  end64.writeUInt32LE(0x06064b50, 0);
  end64.writeBigUInt64LE(44n, 4);
  end64.writeUInt16LE(45, 12);
  end64.writeUInt16LE(45, 14);
  end64.writeBigUInt64LE(BigInt(entries.length), 24);
  end64.writeBigUInt64LE(BigInt(entries.length), 32);
  end64.writeBigUInt64LE(BigInt(cdBytes.length), 40);
  end64.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(cdOffset + cdBytes.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(MAX32, 12);
  end.writeUInt32LE(MAX32, 16);
  return Buffer.concat([...parts, cdBytes, end64, locator, end]);
}
