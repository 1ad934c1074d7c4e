import Foundation

/// An exclusive hold on one study of one database, kept for a coordinator's whole life,
/// so that a second coordinator on the same study exits instead of running beside the first.
///
/// ```swift
/// let lock = try StudyLock.acquire(database: "sextant.db", study: "mlp-digits")
/// defer { lock.release() }
/// ```
///
/// The lock is `flock(LOCK_EX | LOCK_NB)` on a small file beside the database,
/// `<db>.<study>.lock`, which also names its holder (pid, host, study) for the message a
/// second coordinator prints. The kernel drops a flock when the last descriptor of the open
/// file closes, so a coordinator killed with SIGKILL leaves no stale lock: its file may stay
/// behind, unlocked, and the next coordinator takes it over. `release()` removes the file
/// on a clean exit. Not a POSIX record lock (`fcntl`) on the SQLite file itself: SQLite
/// uses those, and closing any descriptor of a file drops every such lock the process holds.
/// Readers (`sextant status`, `sextant export`) never take it.
final class StudyLock {
    /// The lock file.
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file of `study` in `database`: `<database>.<study>.lock`. A study name that is
    /// not a plain file name (or is long) is shortened and made safe, with a hash of the whole
    /// name appended so two names never share a lock.
    static func path(database: String, study: String) -> String {
        let safe = study.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic
            || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)) }
        if safe && !study.isEmpty && study.count <= 64 && !study.hasPrefix(".") {
            return "\(database).\(study).lock"
        }
        let readable = String(study.unicodeScalars.prefix(48).map {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_"
        })
        // FNV-1a, 64 bits: stable across runs and machines, unlike `Hasher`.
        let hash = study.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        return "\(database).\(readable)-\(String(hash, radix: 16)).lock"
    }

    /// Takes the lock of `study` in `database`, or throws `.held` naming the coordinator
    /// that has it. The holder's pid, host and study are written into the file.
    static func acquire(database: String, study: String) throws(StudyLockError) -> StudyLock {
        let path = path(database: database, study: study)
        // A holder that exits cleanly removes the file between our open and our flock; then the
        // lock we got is on a file nobody else will open, and we start over with the new one.
        for _ in 0..<20 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw .cannotLock(path: path, reason: String(cString: strerror(errno))) }
            var result: Int32
            repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            if result != 0 {
                let code = errno
                close(descriptor)
                guard code == EWOULDBLOCK else { throw .cannotLock(path: path, reason: String(cString: strerror(code))) }
                throw .held(database: database, study: study, path: path, holder: holder(at: path))
            }
            var opened = stat(), named = stat()
            guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0,
                  opened.st_dev == named.st_dev, opened.st_ino == named.st_ino else {
                close(descriptor)
                continue
            }
            let lock = StudyLock(path: path, descriptor: descriptor)
            let text = "pid=\(getpid())\nhost=\(hostName())\nstudy=\(study)\n"
            let written = text.utf8CString.withUnsafeBufferPointer { buffer in
                ftruncate(descriptor, 0) == 0 ? pwrite(descriptor, buffer.baseAddress, buffer.count - 1, 0) : -1
            }
            guard written == text.utf8.count else {
                let reason = String(cString: strerror(errno))
                lock.release()
                throw .cannotLock(path: path, reason: reason)
            }
            return lock
        }
        throw .cannotLock(path: path, reason: "it was replaced again and again while being locked")
    }

    /// Removes the lock file and releases the lock; later calls do nothing. The file goes
    /// first, while still locked, so no other coordinator can lock it in between.
    func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    /// The holder's pid and host as written in the lock file. A coordinator that has only
    /// just taken the lock may not have written them yet: look again for up to a second.
    private static func holder(at path: String) -> (pid: String, host: String)? {
        for attempt in 0..<40 {
            if attempt > 0 { usleep(25_000) }
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            var fields: [Substring: Substring] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            if let pid = fields["pid"], let host = fields["host"] { return (String(pid), String(host)) }
        }
        return nil
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Why a coordinator could not take its study's lock; printed as one line, exit status 1.
enum StudyLockError: Error, CustomStringConvertible {
    /// Another coordinator runs the study.
    case held(database: String, study: String, path: String, holder: (pid: String, host: String)?)
    /// The lock file cannot be created or locked (a read-only directory, say).
    case cannotLock(path: String, reason: String)

    var description: String {
        switch self {
        case .held(let database, let study, let path, let holder):
            let who = holder.map { "pid \($0.pid) on host \($0.host)" } ?? "its pid is not written yet"
            return "\(database): study \(study) is already run by another coordinator (\(who), lock \(path)); "
                + "stop that one first, or use another --db"
        case .cannotLock(let path, let reason):
            return "cannot lock \(path) (\(reason)); the coordinator needs to create it beside the database"
        }
    }
}
