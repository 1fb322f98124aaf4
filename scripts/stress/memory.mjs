export async function memory() { return { ok: true, figures: {} }; }
