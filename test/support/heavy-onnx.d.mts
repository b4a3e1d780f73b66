export function appendInitializer(model: Uint8Array, opts: { name: string; floats: number; value?: number; outPath: string }): number;
