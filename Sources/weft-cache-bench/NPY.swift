import Foundation

/// Float32 matrices as NumPy `.npy` version 1.0 files (little-endian `<f4`, C order).
enum NPY {
    static func writeUnitVectors(to path: String, rows: Int, dimensions: Int, random: inout SplitMix64) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.write(contentsOf: header(rows: rows, dimensions: dimensions))
        let chunkRows = 4096
        var row = 0
        while row < rows {
            let count = min(chunkRows, rows - row)
            var chunk = [Float](repeating: 0, count: count * dimensions)
            for r in 0..<count {
                var norm = 0.0
                var values = [Double](repeating: 0, count: dimensions)
                for d in 0..<dimensions {
                    values[d] = random.gaussian()
                    norm += values[d] * values[d]
                }
                let scale = 1 / norm.squareRoot()
                for d in 0..<dimensions { chunk[r * dimensions + d] = Float(values[d] * scale) }
            }
            try handle.write(contentsOf: chunk.withUnsafeBytes { Data($0) })
            row += count
        }
    }

    static func header(rows: Int, dimensions: Int) -> Data {
        var dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(dimensions)), }"
        let unpadded = 10 + dictionary.utf8.count + 1
        dictionary += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93])
        data += Data("NUMPY".utf8)
        data += Data([1, 0, UInt8(dictionary.utf8.count & 0xff), UInt8(dictionary.utf8.count >> 8)])
        data += Data(dictionary.utf8)
        return data
    }

    /// Reads a `<f4` 2-D `.npy` file: the shape and the first `maxRows` rows.
    static func read(_ path: String, maxRows: Int = .max) throws -> (rows: Int, dimensions: Int, values: [Float]) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let prefix = try handle.read(upToCount: 10) ?? Data()
        guard prefix.count == 10, prefix[0] == 0x93 else { throw CocoaError(.fileReadCorruptFile) }
        let headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
        let headerText = String(decoding: try handle.read(upToCount: headerLength) ?? Data(), as: UTF8.self)
        guard headerText.contains("'<f4'"), let open = headerText.range(of: "'shape': ("),
            let close = headerText[open.upperBound...].firstIndex(of: ")")
        else { throw CocoaError(.fileReadCorruptFile) }
        let shape = headerText[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let rows = min(shape[0], maxRows)
        let dimensions = shape[1]
        let bytes = try handle.read(upToCount: rows * dimensions * 4) ?? Data()
        var values = [Float](repeating: 0, count: rows * dimensions)
        _ = values.withUnsafeMutableBytes { bytes.copyBytes(to: $0) }
        return (rows, dimensions, values)
    }
}
