// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "PaySandbox",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paysandbox", targets: ["paysandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(name: "CEpoll"),
        .target(name: "HTTPServer", dependencies: ["CEpoll"]),
        .target(name: "CSQLiteWAL", dependencies: ["CSQLite"]),
        // The locks the store and the core share.
        .target(name: "Locks"),
        .target(name: "SQLiteStore", dependencies: ["CSQLite", "CSQLiteWAL", "Locks"]),
        .target(
            name: "SandboxResources",
            path: "Resources",
            sources: ["SandboxResources.swift"],
            resources: [.copy("openapi"), .copy("schemas"), .copy("iso"), .copy("payxtoday"), .copy("paytomat"), .copy("templates")]
        ),
        .target(name: "SandboxCore", dependencies: ["HTTPServer", "SQLiteStore", "SandboxResources", "Locks"]),
        // The witness: verification, the readiness report, trials (reads the journal and deliveries).
        .target(name: "Witness", dependencies: ["HTTPServer", "SandboxCore"]),
        .target(name: "ProjectCX", dependencies: ["HTTPServer", "SQLiteStore", "SandboxCore"]),
        .target(name: "Census", dependencies: ["HTTPServer", "SQLiteStore", "SandboxCore"]),
        .target(name: "PayXToday", dependencies: ["HTTPServer", "SQLiteStore", "SandboxCore", "SandboxResources"]),
        .target(name: "Paytomat", dependencies: [
            "HTTPServer", "SQLiteStore", "SandboxCore", "SandboxResources",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Alphacomm", dependencies: ["HTTPServer", "SQLiteStore", "SandboxCore", "SandboxResources"]),
        .executableTarget(
            name: "paysandbox",
            dependencies: [
                "HTTPServer", "SQLiteStore", "SandboxCore", "ProjectCX", "Paytomat", "Census", "PayXToday", "Alphacomm",
                "Witness", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["HTTPServer", "SandboxCore", "Witness"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Locks", "SandboxCore", "TestSupport"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        .testTarget(name: "SandboxCoreTests", dependencies: ["SandboxCore", "HTTPServer", "SQLiteStore", "TestSupport"]),
        .testTarget(name: "paysandboxTests", dependencies: [
            "SQLiteStore",
            "paysandbox", "ProjectCX", "Paytomat", "Census", "PayXToday", "Alphacomm", "SandboxCore", "HTTPServer", "TestSupport",
        ]),
        .testTarget(name: "CensusTests", dependencies: ["Census", "SandboxCore", "HTTPServer", "TestSupport"]),
        .testTarget(name: "PayXTodayTests", dependencies: ["PayXToday", "SandboxCore", "HTTPServer", "TestSupport"]),
        .testTarget(name: "PaytomatTests", dependencies: ["Paytomat", "SandboxCore", "HTTPServer", "TestSupport"]),
        .testTarget(name: "AlphacommTests", dependencies: ["Alphacomm", "SandboxCore", "HTTPServer", "TestSupport"]),
        .testTarget(name: "ProjectCXTests", dependencies: ["ProjectCX", "SandboxCore", "HTTPServer", "TestSupport"]),
        // The witness, judged by test merchants that behave well and badly.
        .testTarget(name: "WitnessTests", dependencies: [
            "Witness", "Paytomat", "PayXToday", "Alphacomm", "ProjectCX", "Census", "SandboxCore", "HTTPServer",
            "TestSupport",
        ]),
        // The control plane and the dashboard (snapshots, fixtures, faults), over every provider.
        .testTarget(name: "ControlPlaneTests", dependencies: [
            "SQLiteStore", "ProjectCX", "Paytomat", "Census", "PayXToday", "Alphacomm", "SandboxCore", "HTTPServer",
            "TestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
