// Child process for inventory-crash.test.ts: loads the inventory (failing loudly on a torn file), then
// rewrites all of it, generation after generation, until it is killed. Prints "ready" after the first write.
// argv: <transpiled inventory module path> <state dir> <entry count>
const [modulePath, stateDir, countArg] = process.argv.slice(2);
const { Inventory } = await import(modulePath);

const log = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => log };
const clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => ({ id: setTimeout(callback, delayMs) }),
  clearTimeout: (handle) => clearTimeout(handle.id),
};
const inventory = new Inventory({ stateDir, clock, log });
await inventory.load({ onCorrupt: 'throw' });
const count = Number(countArg);
const at = new Date().toISOString();
for (let generation = 1; ; generation++) {
  for (let i = 0; i < count; i++) {
    inventory.set({ key: `web-${i}`, id: `1i${i}`, uuid: null, name: `web-${i}`, origin: 'created', restartToken: `gen-${generation}`, createdAt: at, updatedAt: at });
  }
  await inventory.flush();
  if (generation === 1) process.stdout.write('ready\n');
}
