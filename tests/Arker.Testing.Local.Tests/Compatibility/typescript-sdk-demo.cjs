// The official Arker TypeScript SDK 0.1.0 (@arker-ai/sdk, CommonJS build), driven through its
// README's whole flow against the local server. Run by SdkCompatibilityTests; exits 0 on success.
const { Arker, ArkerError } = require(process.argv[2]);
const crypto = require("node:crypto");

const results = [];
function check(name, ok, detail = "") {
  results.push(ok);
  console.log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? ` [${detail}]` : ""}`);
}
const text = (bytes) => new TextDecoder().decode(bytes);

(async () => {
  const arker = new Arker({ apiKey: process.env.ARKER_API_KEY });
  const vm = await arker.vm("arkuntu").fork({ name: "ts-sdk-demo" });
  check("fork from the arkuntu alias", vm.id.length >= 26 && vm.id !== "arkuntu", vm.id);
  try {
    const r = await vm.run("python3 -c 'print(2+2)'");
    check("run python3", r.exitCode === 0 && text(r.stdout) === "4\n", JSON.stringify(text(r.stdout)));
    check("run reports session and cwd", r.sessionId === "0" && r.cwd === "/home/user", `${r.sessionId} ${r.cwd}`);

    await vm.sync.writeFile("/home/user/data.csv", "a,b\n1,2\n");
    check("small write and read back", text(await vm.sync.readFile("/home/user/data.csv")) === "a,b\n1,2\n");

    const big = crypto.randomBytes(8 * 1024 * 1024);
    await vm.sync.writeFile("/home/user/big.bin", new Uint8Array(big));
    const back = await vm.sync.readFile("/home/user/big.bin");
    check("8 MiB presigned write, sha256 round trip",
      crypto.createHash("sha256").update(back).digest("hex") === crypto.createHash("sha256").update(big).digest("hex"));

    const session = await vm.run("cd /tmp && export X=1", { sessionId: "s" });
    const again = await vm.run("echo $X; pwd", { sessionId: "s" });
    check("sessions keep cwd and env", session.exitCode === 0 && text(again.stdout) === "1\n/tmp\n", JSON.stringify(text(again.stdout)));

    const child = await vm.fork({ name: "ts-sdk-demo-child" });
    const cat = await child.run("cat /home/user/data.csv");
    check("child sees the parent's files", cat.exitCode === 0 && text(cat.stdout) === "a,b\n1,2\n");
    await child.delete();
    check("child deleted", true);

    try {
      await vm.sync.readFile("/home/user/does-not-exist.txt");
      check("missing file raises ArkerError", false, "no error");
    } catch (err) {
      check("missing file raises ArkerError(not_found, 404)", err instanceof ArkerError && err.code === "not_found" && err.status === 404, `${err.code} ${err.status}`);
    }

    const page = await arker.list({ limit: 10, sort: "-created_at", q: "ts-sdk-demo" });
    check("list filters by name", page.items.some((s) => s.vm_id === vm.id) && page.total >= 1, `total=${page.total}`);
  } finally {
    await vm.delete();
    check("vm deleted", true);
  }

  const passed = results.filter(Boolean).length;
  console.log(`${passed}/${results.length} passed`);
  process.exit(passed === results.length ? 0 : 1);
})().catch((err) => {
  console.error("FAIL unexpected error:", err);
  process.exit(1);
});
