/// A QR code encoder (ISO/IEC 18004): byte mode, error correction level M, versions 1 to
/// 10, mask 0 — enough for the payment URIs the sandbox shows — rendered as SVG. The tests
/// read every version back with a real decoder (zxing-cpp).
public struct QRCode: Sendable {
    public let size: Int
    /// `modules[row][column]`, true for dark.
    public let modules: [[Bool]]

    /// Data codewords and the error-correction block layout per version at level M:
    /// (EC codewords per block, [(block count, data codewords per block)]).
    static let layout: [Int: (ec: Int, groups: [(count: Int, data: Int)])] = [
        1: (10, [(1, 16)]), 2: (16, [(1, 28)]), 3: (26, [(1, 44)]), 4: (18, [(2, 32)]), 5: (24, [(2, 43)]),
        6: (16, [(4, 27)]), 7: (18, [(4, 31)]), 8: (22, [(2, 38), (2, 39)]), 9: (22, [(3, 36), (2, 37)]),
        10: (26, [(4, 43), (1, 44)]),
    ]
    static let alignment: [Int: [Int]] = [
        2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38], 8: [6, 24, 42], 9: [6, 26, 46],
        10: [6, 28, 50]
    ]

    /// Nil when the text does not fit version 10.
    public init?(_ text: String) {
        let data = Array(text.utf8)
        guard let version = (1 ... 10).first(where: { v in
            let capacity = QRCode.layout[v].map { $0.groups.reduce(0) { $0 + $1.count * $1.data } } ?? 0
            return 4 + (v < 10 ? 8 : 16) + data.count * 8 <= capacity * 8
        }), let layout = QRCode.layout[version] else { return nil }
        let capacity = layout.groups.reduce(0) { $0 + $1.count * $1.data }

        // Bit stream: mode, count, data, terminator, padding.
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
        }
        append(0b0100, 4)
        append(data.count, version < 10 ? 8 : 16)
        for byte in data { append(Int(byte), 8) }
        append(0, min(4, capacity * 8 - bits.count))
        while bits.count % 8 != 0 { bits.append(false) }
        var codewords: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { i in
            bits[i ..< i + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while codewords.count < capacity { codewords.append(pad); pad = pad == 0xEC ? 0x11 : 0xEC }

        // Blocks, error correction, interleaving.
        var blocks: [[UInt8]] = []
        var offset = 0
        for group in layout.groups {
            for _ in 0 ..< group.count {
                blocks.append(Array(codewords[offset ..< offset + group.data]))
                offset += group.data
            }
        }
        let ecBlocks = blocks.map { QRCode.reedSolomon($0, degree: layout.ec) }
        var final: [UInt8] = []
        for i in 0..<(blocks.map(\.count).max() ?? 0) {
            for block in blocks where i < block.count { final.append(block[i]) }
        }
        for i in 0 ..< layout.ec { for block in ecBlocks { final.append(block[i]) } }

        // The matrix: function patterns first, then data in the zigzag, masked.
        let size = 17 + 4 * version
        var dark = [[Bool]](repeating: [Bool](repeating: false, count: size), count: size)
        var reserved = [[Bool]](repeating: [Bool](repeating: false, count: size), count: size)
        func set(_ r: Int, _ c: Int, _ value: Bool) { dark[r][c] = value; reserved[r][c] = true }

        for (r0, c0) in [(0, 0), (0, size - 7), (size - 7, 0)] {
            for r in -1 ... 7 {
                for c in -1 ... 7 where r0 + r >= 0 && r0 + r < size && c0 + c >= 0 && c0 + c < size {
                    let inRing = (0...6).contains(r) && (0...6).contains(c) && (r == 0 || r == 6 || c == 0 || c == 6)
                    let inCore = (2 ... 4).contains(r) && (2 ... 4).contains(c)
                    set(r0 + r, c0 + c, inRing || inCore)
                }
            }
        }
        for i in 8 ..< size - 8 {
            set(6, i, i % 2 == 0)
            set(i, 6, i % 2 == 0)
        }
        let centers = QRCode.alignment[version] ?? []
        for r in centers {
            for c in centers where !((r == 6 && c == 6) || (r == 6 && c == size - 7) || (r == size - 7 && c == 6)) {
                for dr in -2 ... 2 { for dc in -2 ... 2 { set(r + dr, c + dc, max(abs(dr), abs(dc)) != 1) } }
            }
        }
        set(size - 8, 8, true)
        // Format and version areas are reserved now, written last.
        for i in 0 ... 8 {
            if !reserved[8][i] { reserved[8][i] = true }
            if !reserved[i][8] { reserved[i][8] = true }
        }
        for i in 0 ..< 8 {
            reserved[8][size - 1 - i] = true
            reserved[size - 1 - i][8] = true
        }
        if version >= 7 {
            for i in 0..<6 { for j in 0..<3 { reserved[i][size - 11 + j] = true; reserved[size - 11 + j][i] = true } }
        }

        var bitIndex = 0
        let totalBits = final.count * 8
        var column = size - 1
        var upward = true
        while column > 0 {
            if column == 6 { column -= 1 }
            for step in 0 ..< size {
                let row = upward ? size - 1 - step : step
                for c in [column, column - 1] where !reserved[row][c] {
                    var bit = false
                    if bitIndex < totalBits { bit = (final[bitIndex / 8] >> (7 - UInt8(bitIndex % 8))) & 1 == 1 }
                    bitIndex += 1
                    dark[row][c] = bit != ((row + c) % 2 == 0)
                }
            }
            upward.toggle()
            column -= 2
        }

        // Format information: level M (00), mask 0, BCH(15,5), XOR 0x5412.
        let formatData = 0b00_000
        var format = formatData << 10
        for i in stride(from: 14, through: 10, by: -1) where format & (1 << i) != 0 { format ^= 0x537 << (i - 10) }
        format = ((formatData << 10) | format) ^ 0x5412
        func formatBit(_ i: Int) -> Bool { (format >> i) & 1 == 1 }
        for i in 0 ... 5 { dark[8][i] = formatBit(14 - i) }
        dark[8][7] = formatBit(8)
        dark[8][8] = formatBit(7)
        dark[7][8] = formatBit(6)
        for i in 9 ... 14 { dark[14 - i][8] = formatBit(14 - i) }
        for i in 0 ..< 8 { dark[size - 1 - i][8] = formatBit(14 - i) }
        for i in 7 ..< 15 { dark[8][size - 15 + i] = formatBit(14 - i) }
        dark[size - 8][8] = true
        if version >= 7 {
            var v = version << 12
            for i in stride(from: 17, through: 12, by: -1) where v & (1 << i) != 0 { v ^= 0x1F25 << (i - 12) }
            let versionBits = (version << 12) | v
            for i in 0 ..< 18 {
                let bit = (versionBits >> i) & 1 == 1
                dark[i / 3][size - 11 + i % 3] = bit
                dark[size - 11 + i % 3][i / 3] = bit
            }
        }
        self.size = size
        modules = dark
    }

    /// Reed–Solomon error-correction codewords over GF(256) (polynomial 0x11D).
    static func reedSolomon(_ data: [UInt8], degree: Int) -> [UInt8] {
        var exp = [Int](repeating: 0, count: 512), log = [Int](repeating: 0, count: 256)
        var x = 1
        for i in 0 ..< 255 {
            exp[i] = x
            log[x] = i
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        for i in 255 ..< 512 { exp[i] = exp[i - 255] }
        func multiply(_ a: Int, _ b: Int) -> Int { a == 0 || b == 0 ? 0 : exp[log[a] + log[b]] }
        var generator = [1]
        for i in 0 ..< degree {
            var next = [Int](repeating: 0, count: generator.count + 1)
            for (j, coefficient) in generator.enumerated() {
                next[j] ^= coefficient
                next[j + 1] ^= multiply(coefficient, exp[i])
            }
            generator = next
        }
        var remainder = data.map(Int.init) + [Int](repeating: 0, count: degree)
        for i in 0 ..< data.count where remainder[i] != 0 {
            let factor = remainder[i]
            for (j, coefficient) in generator.enumerated() { remainder[i + j] ^= multiply(coefficient, factor) }
        }
        return remainder.suffix(degree).map { UInt8($0) }
    }

    /// The code as an SVG image (4-module quiet zone), `pixels` wide.
    public func svg(pixels: Int = 220) -> String {
        var path = ""
        for r in 0 ..< size { for c in 0 ..< size where modules[r][c] { path += "M\(c + 4) \(r + 4)h1v1h-1z" } }
        let extent = size + 8
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(extent) \(extent)\" width=\"\(pixels)\" "
            + "height=\"\(pixels)\" "
            + "shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"\(extent)\" height=\"\(extent)\" "
            + "fill=\"#fff\"/><path d=\"\(path)\" fill=\"#000\"/></svg>"
    }
}
