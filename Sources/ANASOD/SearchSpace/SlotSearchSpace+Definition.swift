import Foundation

/// A user-defined space as a study file writes it (`space:` mapping) and as journals, wire messages and
/// trainer jobs carry it (canonical JSON):
///
/// ```yaml
/// space:
///   name: chain8
///   operations: [identity, dense_relu, dense_tanh, residual, bottleneck]
///   slots: 8                 # with wiring chain; a DAG's or DARTS-like cell's count follows from it
///   wiring: chain            # or {dag: [[0, 1], [0, 2], [1, 2]]}
///                            # or {darts: {nodes: 4, inputs: 2, edges_per_node: 2}}
///   cell_types: [cell]       # optional; e.g. [normal, reduce]
///   allowed: {0: [dense_relu, dense_tanh]}   # optional: per slot (0-based), the only operations it may hold
///   forbidden: {7: [identity]}               # optional: per slot, operations it may not hold
///   cell_operations: {reduce: [max, avg]}    # optional: per cell type, the operations its cells use
///   measures:                                # optional: what a cell costs, known before training
///     params: {base: 7850, operations: {identity: 0, dense_relu: 4160, …}}   # base + Σ slots' values
/// ```
extension SlotSearchSpace {
    static let definitionKeys: Set<String> = ["name", "operations", "slots", "wiring", "cell_types", "allowed", "forbidden", "cell_operations",
                                              "measures"]

    /// Reads a definition from JSON-like values (`[String: Any]`, `[Any]`, `String`, `Int`), as
    /// `JSONSerialization` or a YAML reader gives them; errors name the key under `key` (`space.slots`).
    /// - Throws: `ANASODError.Code.invalidSearchSpace` naming the key that is missing, unknown or wrong.
    public init(definition: Any, key: String = "space") throws {
        func fail(_ message: String) -> ANASODError { ANASODError(.invalidSearchSpace, message) }
        guard let map = definition as? [String: Any] else {
            throw fail("'\(key)' must be a built-in space's name or a mapping with \(Self.definitionKeys.sorted().joined(separator: ", "))")
        }
        if let unknown = map.keys.sorted().first(where: { !Self.definitionKeys.contains($0) }) {
            throw fail("unknown key '\(key).\(unknown)' (known: \(Self.definitionKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ value: Any?, _ name: String) throws -> String {
            guard let value else { throw fail("'\(name)' is required") }
            guard let s = value as? String else { throw fail("'\(name)' must be text") }
            return s
        }
        func strings(_ value: Any?, _ name: String) throws -> [String] {
            guard let value else { throw fail("'\(name)' is required") }
            guard let list = value as? [Any] else { throw fail("'\(name)' must be a list of names") }
            return try list.enumerated().map { try string($1, "\(name)[\($0)]") }
        }
        func int(_ value: Any?, _ name: String) throws -> Int {
            // JSON numbers are NSNumbers on Linux, `true` among them (Objective-C type "c").
            if let n = value as? NSNumber, String(cString: n.objCType) != "c", let i = Int(exactly: n.doubleValue) { return i }
            throw fail("'\(name)' must be a whole number")
        }
        let name = try string(map["name"], "\(key).name")
        let operations = try strings(map["operations"], "\(key).operations")
        let slots = try map["slots"].map { try int($0, "\(key).slots") }
        let types = try map["cell_types"].map { try strings($0, "\(key).cell_types") } ?? ["cell"]
        var wiring = SlotWiring.chain
        if let w = map["wiring"] {
            let wkey = "\(key).wiring"
            if let s = w as? String {
                guard s == "chain" else {
                    throw fail("'\(wkey)' must be 'chain', {dag: [[source, target], …]} or {darts: {nodes, inputs, edges_per_node}}, got '\(s.prefix(80))'")
                }
            } else if let m = w as? [String: Any], m.count == 1 {
                if let edges = m["dag"] {
                    guard let list = edges as? [Any] else { throw fail("'\(wkey).dag' must be a list of [source, target] pairs") }
                    wiring = .dag(edges: try list.enumerated().map { i, item in
                        guard let pair = item as? [Any], pair.count == 2 else {
                            throw fail("'\(wkey).dag[\(i)]' must be a [source, target] pair of node numbers")
                        }
                        return SlotWiring.Edge(source: try int(pair[0], "\(wkey).dag[\(i)][0]"),
                                               target: try int(pair[1], "\(wkey).dag[\(i)][1]"))
                    })
                } else if let d = m["darts"] {
                    guard let dm = d as? [String: Any] else { throw fail("'\(wkey).darts' must be a mapping") }
                    let known: Set<String> = ["nodes", "inputs", "edges_per_node"]
                    if let unknown = dm.keys.sorted().first(where: { !known.contains($0) }) {
                        throw fail("unknown key '\(wkey).darts.\(unknown)' (known: edges_per_node, inputs, nodes)")
                    }
                    guard let nodes = dm["nodes"] else { throw fail("'\(wkey).darts.nodes' is required") }
                    wiring = .darts(nodes: try int(nodes, "\(wkey).darts.nodes"),
                                    inputs: try dm["inputs"].map { try int($0, "\(wkey).darts.inputs") } ?? 2,
                                    edgesPerNode: try dm["edges_per_node"].map { try int($0, "\(wkey).darts.edges_per_node") } ?? 2)
                } else {
                    throw fail("unknown wiring '\(wkey).\(m.keys.first!)' (known: chain, dag, darts)")
                }
            } else {
                throw fail("'\(wkey)' must be 'chain', {dag: [[source, target], …]} or {darts: {nodes, inputs, edges_per_node}}")
            }
        }
        var restrictions = [String: [Int: [String]]]()
        for restriction in ["allowed", "forbidden"] {
            guard let value = map[restriction] else { continue }
            let rkey = "\(key).\(restriction)"
            guard let entries = value as? [String: Any] else {
                throw fail("'\(rkey)' must map slot numbers to lists of operations ({0: [op, …], …})")
            }
            var bySlot = [Int: [String]]()
            for (slotText, names) in entries {
                guard let slot = Int(slotText), slot >= 0 else {
                    throw fail("'\(rkey).\(slotText.prefix(40))': keys are slot numbers (0, 1, …)")
                }
                guard bySlot.updateValue(try strings(names, "\(rkey).\(slot)"), forKey: slot) == nil else {
                    throw fail("'\(rkey)' names slot \(slot) twice")
                }
            }
            restrictions[restriction] = bySlot
        }
        var perType = [String: [String]]()
        if let value = map["cell_operations"] {
            guard let entries = value as? [String: Any] else {
                throw fail("'\(key).cell_operations' must map cell types to lists of operations ({reduce: [op, …], …})")
            }
            for (type, names) in entries { perType[type] = try strings(names, "\(key).cell_operations.\(type)") }
        }
        func number(_ value: Any?, _ name: String) throws -> Double {
            if let n = value as? NSNumber, String(cString: n.objCType) != "c" { return n.doubleValue }
            if let text = value as? String, let v = Double(text) { return v }
            throw fail("'\(name)' must be a number")
        }
        var measures = [String: (base: Double, operations: [String: Double])]()
        if let value = map["measures"] {
            let mkey = "\(key).measures"
            guard let entries = value as? [String: Any] else {
                throw fail("'\(mkey)' must map measure names to {base, operations: {op: value, …}}")
            }
            for (measure, body) in entries {
                let bkey = "\(mkey).\(measure.prefix(64))"
                guard let b = body as? [String: Any] else { throw fail("'\(bkey)' must be a mapping with 'operations' (and 'base')") }
                if let unknown = b.keys.sorted().first(where: { $0 != "base" && $0 != "operations" }) {
                    throw fail("unknown key '\(bkey).\(unknown.prefix(64))' (known: base, operations)")
                }
                guard let ops = b["operations"] as? [String: Any] else {
                    throw fail("'\(bkey).operations' must map every operation to its value in one slot")
                }
                var values = [String: Double]()
                for (op, v) in ops { values[op] = try number(v, "\(bkey).operations.\(op.prefix(64))") }
                measures[measure] = (try b["base"].map { try number($0, "\(bkey).base") } ?? 0, values)
            }
        }
        try self.init(name: name, operations: operations, slots: slots, cellTypes: types, wiring: wiring,
                      allowed: restrictions["allowed"] ?? [:], forbidden: restrictions["forbidden"] ?? [:], cellOperations: perType,
                      measures: measures)
    }

    /// The definition as JSON-like values (`init(definition:)` reads it back).
    public var definition: [String: Any] {
        var d: [String: Any] = ["name": name, "operations": operations, "slots": slotsPerCell, "cell_types": cellTypes]
        if let slotOperations {
            var allowed = [String: Any]()
            for (slot, ops) in slotOperations.enumerated() where ops.count < operations.count {
                allowed[String(slot)] = ops.map { operations[$0] }
            }
            d["allowed"] = allowed
        }
        if let cellOperations {
            var perType = [String: Any]()
            for (t, ops) in cellOperations.enumerated() where ops.count < operations.count {
                perType[cellTypes[t]] = ops.map { operations[$0] }
            }
            d["cell_operations"] = perType
        }
        if !measures.isEmpty {
            d["measures"] = measures.mapValues { m -> [String: Any] in
                ["base": m.base, "operations": Dictionary(uniqueKeysWithValues: zip(operations, m.perOperation))]
            }
        }
        switch wiring {
        case .chain: d["wiring"] = "chain"
        case .dag(let edges): d["wiring"] = ["dag": edges.map { [$0.source, $0.target] }]
        case .darts(let nodes, let inputs, let perNode):
            d["wiring"] = ["darts": ["nodes": nodes, "inputs": inputs, "edges_per_node": perNode]]
        }
        return d
    }

    /// The definition as canonical JSON (sorted keys, one line): what journals and wire messages carry.
    public var definitionJSON: String {
        // Strings, numbers and lists and maps of them only: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: definition, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads `definitionJSON`'s text back.
    /// - Throws: `ANASODError.Code.invalidSearchSpace` for text that is not JSON or not a valid definition.
    public init(definitionJSON text: String, key: String = "space") throws {
        guard text.utf8.count <= 1 << 20, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
            throw ANASODError(.invalidSearchSpace, "'\(key)' is not a JSON space definition: \(text.prefix(120))")
        }
        try self.init(definition: object, key: key)
    }
}
