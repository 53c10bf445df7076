import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1:0 for embedder tests: one thread accepts, each connection is answered on its
/// own thread by `respond` (request body in; status, body and an optional delay out), then closed.
///
/// `@unchecked Sendable`: the socket descriptor and port are immutable after `init`; `stopped` is a `Mutex`; the
/// threads only read those.
final class StubHTTPServer: @unchecked Sendable {
    struct Reply: Sendable {
        var status = 200
        var body: String
        var delay: Duration = .zero
    }

    let port: Int
    private let listener: Int32
    private let stopped = Mutex(false)
    private let respond: @Sendable (_ path: String, _ body: String) -> Reply
    let requests = Mutex<[String]>([])

    init(respond: @escaping @Sendable (_ path: String, _ body: String) -> Reply) throws {
        self.respond = respond
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Stops accepting; connections being answered finish on their own.
    func stop() {
        let wasStopped = stopped.withLock { value in
            defer { value = true }
            return value
        }
        if !wasStopped {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return }
            received += buffer[0..<count]
            if headerEnd == nil, let range = findHeaderEnd(received) {
                headerEnd = range
                let head = String(decoding: received[0..<range], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength =
                        Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, received.count >= headerEnd + 4 + contentLength { break }
        }
        let head = String(decoding: received[0..<headerEnd!], as: UTF8.self)
        let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        let body = String(decoding: received[(headerEnd! + 4)...], as: UTF8.self)
        requests.withLock { $0.append(body) }
        let reply = respond(path, body)
        if reply.delay > .zero {
            let (seconds, attoseconds) = reply.delay.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
        let payload = Array(reply.body.utf8)
        let response =
            "HTTP/1.1 \(reply.status) Stub\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(response.utf8) + payload
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that gave up (timeout tests) must not kill the test process with SIGPIPE.
            let written = bytes[offset...].withUnsafeBufferPointer {
                send(connection, $0.baseAddress, $0.count, noSignal)
            }
            if written <= 0 { return }
            offset += written
        }
    }

    #if canImport(Glibc)
    private let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private let noSignal: Int32 = 0
    #endif

    private func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}
