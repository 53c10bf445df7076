/// Finds a dependency cycle in a graph given as adjacency lists, for the error that names the cycle's path.
///
/// `dependencies[i]` lists the nodes `i` depends on. The cycle reported is deterministic: it starts at the earliest
/// node (in index order, i.e. submission order) that lies on any cycle, and follows dependencies in their listed order
/// by depth-first search within that node's strongly connected component until it gets back to the start.
enum CycleFinder {
    /// The nodes of a cycle with its first node repeated at the end (`[a, b, c, a]`: a depends on b, b on c, c on a),
    /// or nil when the graph is acyclic.
    static func firstCycle(_ dependencies: [[Int]]) -> [Int]? {
        if isAcyclic(dependencies) { return nil }
        let component = stronglyConnectedComponents(dependencies)
        var size = [Int](repeating: 0, count: dependencies.count)
        for c in component { size[c] += 1 }
        for start in dependencies.indices {
            if dependencies[start].contains(start) { return [start, start] }
            if size[component[start]] > 1 {
                return path(from: start, within: component[start], component: component, dependencies)
            }
        }
        return nil
    }

    /// Kahn's algorithm: whether every node can be ordered after its dependencies. O(nodes + edges).
    static func isAcyclic(_ dependencies: [[Int]]) -> Bool {
        let count = dependencies.count
        var dependents = [[Int]](repeating: [], count: count)
        var unmet = [Int](repeating: 0, count: count)
        for node in 0..<count {
            unmet[node] = dependencies[node].count
            for dependency in dependencies[node] { dependents[dependency].append(node) }
        }
        var stack = (0..<count).filter { unmet[$0] == 0 }
        var ordered = 0
        while let node = stack.popLast() {
            ordered += 1
            for dependent in dependents[node] {
                unmet[dependent] -= 1
                if unmet[dependent] == 0 { stack.append(dependent) }
            }
        }
        return ordered == count
    }

    /// Tarjan's algorithm, iterative so that long chains cannot overflow the stack: the component number of each node.
    static func stronglyConnectedComponents(_ dependencies: [[Int]]) -> [Int] {
        let count = dependencies.count
        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var component = [Int](repeating: -1, count: count)
        var stack: [Int] = []
        var frames: [(node: Int, edge: Int)] = []
        var counter = 0
        var components = 0

        for root in 0..<count where order[root] < 0 {
            order[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            frames.append((root, 0))
            while let (node, edge) = frames.last {
                if edge < dependencies[node].count {
                    frames[frames.count - 1].edge += 1
                    let next = dependencies[node][edge]
                    if order[next] < 0 {
                        order[next] = counter
                        low[next] = counter
                        counter += 1
                        stack.append(next)
                        onStack[next] = true
                        frames.append((next, 0))
                    } else if onStack[next] {
                        low[node] = min(low[node], order[next])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last?.node { low[parent] = min(low[parent], low[node]) }
                if low[node] == order[node] {
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component[member] = components
                        if member == node { break }
                    }
                    components += 1
                }
            }
        }
        return component
    }

    /// Depth-first search from `start` through nodes of its component, dependencies in listed order, back to `start`.
    private static func path(from start: Int, within target: Int, component: [Int], _ dependencies: [[Int]]) -> [Int] {
        var visited = [Bool](repeating: false, count: dependencies.count)
        var path = [start]
        var edges = [0]
        visited[start] = true
        while let node = path.last {
            let edge = edges[edges.count - 1]
            guard edge < dependencies[node].count else {
                path.removeLast()
                edges.removeLast()
                continue
            }
            edges[edges.count - 1] += 1
            let next = dependencies[node][edge]
            if next == start { return path + [start] }
            if component[next] == target && !visited[next] {
                visited[next] = true
                path.append(next)
                edges.append(0)
            }
        }
        // Unreachable: a strongly connected component of two or more nodes always leads back to its start.
        return [start, start]
    }
}
