import Foundation
import NIOCore

/// The number of CPUs this process may run on: its affinity mask (`taskset`, cpusets), which NIO's
/// `System.coreCount` does not consult. Running more event loops than usable CPUs makes the loops time-slice
/// one core, and a request waiting behind another loop's slice pays a scheduler quantum of latency.
enum AvailableCPUs {
    static var count: Int {
        // Linux reports the mask in /proc/self/status ("Cpus_allowed:\tff,ffffffff"); elsewhere use NIO's count.
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return System.coreCount }
        let mask = line.dropFirst("Cpus_allowed:".count)
        let bits = mask.reduce(0) { count, character in
            count + (character.hexDigitValue.map { $0.nonzeroBitCount } ?? 0)
        }
        return max(1, min(bits, System.coreCount))
    }
}
