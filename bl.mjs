try {
  Bun.listen({ hostname: "127.0.0.1", port: 18556, socket: { data() {} } });
} catch (e) {
  console.log(
    e.name,
    e.code,
    e.errno,
    e.syscall,
    JSON.stringify(e.message),
    Object.keys(e),
  );
}
try {
  Bun.listen({ unix: "/nonexistent/dir/x.sock", socket: { data() {} } });
} catch (e) {
  console.log(e.name, e.code, e.errno, e.syscall, JSON.stringify(e.message));
}
try {
  Bun.listen({ hostname: "127.0.0.1", port: 80, socket: { data() {} } });
  console.log("bound 80 (root)");
} catch (e) {
  console.log(e.name, e.code, e.errno, e.syscall, JSON.stringify(e.message));
}
