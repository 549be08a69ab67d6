// Opening a TCP connection lives in net/connect.ts (the HTTP/CONNECT plumbing uses it too). This re-export keeps
// probes/tcp.ts, which another branch owns in this session, compiling unchanged: at merge, point its import at
// net/connect.ts and delete this file.
export { classifyConnectError, ConnectFailure, formatHostPort, openConnection, type ConnectFailureCode } from '../net/connect.js';
