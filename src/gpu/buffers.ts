/**
 * GPU buffers owned by one piece of work. Every buffer made through a
 * BufferSet is destroyed by its destroy(), which callers put in a finally,
 * so no path (error, cancel, success) leaves device memory behind.
 */
let liveBuffers = 0;

/** GPU buffers made by every BufferSet in this realm and not yet destroyed: 0 whenever no GPU work is running. */
export function liveGpuBuffers(): number {
  return liveBuffers;
}

export class BufferSet {
  private readonly owned: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of `size` bytes (rounded up to 4) with `usage`, optionally filled from `data`. */
  create(label: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView | ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(4, Math.ceil(size / 4) * 4), usage });
    this.owned.push(buffer);
    liveBuffers += 1;
    if (data) {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      this.device.queue.writeBuffer(buffer, 0, bytes as Uint8Array<ArrayBuffer>);
    }
    return buffer;
  }

  /** Copies `size` bytes of `source` to the CPU (one submit, one map) and returns them. */
  async read(source: GPUBuffer, size: number, encoder?: GPUCommandEncoder): Promise<ArrayBuffer> {
    const staging = this.create(`${source.label}-readback`, size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const enc = encoder ?? this.device.createCommandEncoder();
    enc.copyBufferToBuffer(source, 0, staging, 0, staging.size);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange(0, size).slice(0);
    staging.unmap();
    return out;
  }

  /** Buffers alive in this set; 0 after destroy(). */
  get live(): number {
    return this.owned.length;
  }

  destroy(): void {
    for (const b of this.owned.splice(0)) {
      b.destroy();
      liveBuffers -= 1;
    }
  }
}
