import ProjectCX
import SandboxCore

enum Providers {
    /// Every emulated provider, in mount order.
    static let all: [any Provider] = [
        ProjectCXProvider(),
    ]
}
