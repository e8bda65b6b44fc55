import Foundation
import Media
import TestSupport
import XCTest

/// The Jupyter kernel driven by the real clients: jupyter_client's KernelManager (execute,
/// complete, inspect, is_complete, interrupt by signal and by control message, malformed and
/// unsigned messages, shutdown), nbclient executing the quickstart as a notebook, nbconvert's
/// HTML of it rendered by headless Chromium.
final class JupyterKernelTests: XCTestCase {
    private var directory: URL!
    private var jupyterPath: URL!
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    /// Why Jupyter's Python clients cannot run here, or nil (asked once: python3 starts slowly).
    static let missingTools: String? = {
        let modules = "jupyter_client, nbclient, nbformat, nbconvert, zmq"
        guard (try? ExternalTool.python("import " + modules)) == nil else { return nil }
        return "python3 lacks one of \(modules) (scripts/setup.sh installs them)"
    }()

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        if let missing = Self.missingTools {
            if MissingTool.mustFail { XCTFail(missing) }
            throw XCTSkip(missing)
        }
        directory = try TestEnvironment.temporaryDirectory("aslsh-jupyter")
        let prefix = directory.appendingPathComponent("prefix")
        let install = try AslshBinary.run(["kernel", "install", "--prefix", prefix.path], in: directory)
        XCTAssertEqual(install.status, 0, install.stderr)
        jupyterPath = prefix.appendingPathComponent("share/jupyter")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private var environment: [String: String] { ["JUPYTER_PATH": jupyterPath.path, "JUPYTER_PLATFORM_DIRS": "1",
                                                  "JUPYTER_RUNTIME_DIR": directory.appendingPathComponent("runtime").path] }

    private func python(_ script: String, _ arguments: [String]) throws -> ExternalTool.Outcome {
        try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.scripts.appendingPathComponent(script).path] + arguments,
                                directory: directory, environment: environment)
    }

    func testKernelspecStartsThisExecutableWithSignalInterrupts() throws {
        let folder = jupyterPath.appendingPathComponent("kernels/aslsh")
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("kernel.json"))) as! [String: Any]
        let argv = spec["argv"] as! [String]
        XCTAssertEqual(argv.dropFirst(), ["kernel", "-f", "{connection_file}"])
        XCTAssertEqual(URL(fileURLWithPath: argv[0]).resolvingSymlinksInPath().path, AslshBinary.url!.resolvingSymlinksInPath().path)
        XCTAssertEqual(spec["interrupt_mode"] as? String, "signal")
        XCTAssertEqual(spec["language"] as? String, "aslsh")
        for size in [32, 64] {
            let logo = try PNG.read(folder.appendingPathComponent("logo-\(size)x\(size).png"))
            XCTAssertEqual([logo.width, logo.height], [size, size])
            XCTAssertTrue(Set(logo.pixels).count > 2, "the logo is not blank")
        }
        // jupyter_client finds it where `--prefix` put it.
        let found = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c",
            "from jupyter_client.kernelspec import KernelSpecManager as M; s = M().get_kernel_spec('aslsh'); print(s.language, s.interrupt_mode)"],
            environment: environment)
        XCTAssertEqual(found.stdout, "aslsh signal\n", found.stderr)
    }

    func testJupyterClientDrivesTheKernel() throws {
        let report = directory.appendingPathComponent("report.json")
        let run = try python("kernel_client.py", [directory.path, report.path])
        XCTAssertEqual(run.status, 0, "kernel_client.py failed:\n\(run.stdout)\n\(run.stderr.suffix(3000))")
        XCTAssertTrue(run.stdout.contains("all requests answered"), run.stdout)
        let seen = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
        XCTAssertEqual(seen["implementation"] as? String, "aslsh")
        XCTAssertEqual(seen["exit_status"] as? Int, 0, "shutdown_request ends the kernel cleanly")
        XCTAssertGreaterThanOrEqual(seen["progress_updates"] as? Int ?? 0, 3, "progress updated its display in place")
        XCTAssertEqual(seen["epoch_table_updates"] as? Int, 4, "train's epoch table grew in place, a row per epoch")
        // The inline PNG is the plot the cell wrote, byte for byte, and decodes.
        let inline = try Data(contentsOf: directory.appendingPathComponent("inline.png"))
        XCTAssertEqual(inline, try Data(contentsOf: directory.appendingPathComponent("plots/a.png")))
        let image = try PNG.decode(inline)
        XCTAssertGreaterThan(image.width, 100)
        XCTAssertEqual((seen["table_plain"] as? String)?.components(separatedBy: "\n").last?.split(separator: " "), ["B", "3"])
        // The kernel logged what it rejected (to its stderr, which Jupyter shows in its log).
        XCTAssertTrue(run.stderr.contains("aslsh kernel: rejected a message on shell: invalid signature"), run.stderr.suffix(2000).description)
    }

    func testMissingConnectionFileIsAClearError() throws {
        let run = try AslshBinary.run(["kernel", "-f", "no/such/kernel-1.json"], in: directory)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("aslsh kernel: cannot read the connection file: no/such/kernel-1.json"), run.stderr)
        let bad = directory.appendingPathComponent("bad.json")
        try Data(#"{"shell_port": "x"}"#.utf8).write(to: bad)
        let malformed = try AslshBinary.run(["kernel", "-f", bad.path], in: directory)
        XCTAssertEqual(malformed.status, 2)
        XCTAssertTrue(malformed.stderr.contains("bad.json: 'shell_port' must be a port number"), malformed.stderr)
    }

    /// The quickstart session → notebook → executed by nbclient on the kernel → checked by
    /// `aslsh --check` → HTML (nbconvert) → a screenshot by headless Chromium showing the plots.
    func testQuickstartNotebookRunsInNbclientAndRendersInChromium() throws {
        let session = TestEnvironment.repositoryRoot.appendingPathComponent("sessions/quickstart.aslsh")
        let notebook = directory.appendingPathComponent("quickstart.ipynb")
        let convert = try AslshBinary.run(["convert", session.path, "--out", notebook.path], in: directory)
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertTrue(convert.stderr.contains("not found: kept as text"), "plots not made yet are named: \(convert.stderr)")

        let executed = directory.appendingPathComponent("executed.ipynb")
        let run = try python("notebook_run.py", [notebook.path, executed.path, directory.path])
        XCTAssertEqual(run.status, 0, "nbclient failed:\n\(run.stderr.suffix(3000))")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let plotCells = try String(contentsOf: session, encoding: .utf8).components(separatedBy: "\n").filter { $0.hasPrefix("plot ") }.count
        XCTAssertEqual(plotCells, 8)
        XCTAssertEqual(summary["png"] as? Int, plotCells, "every plot cell shows its PNG: \(summary)")
        XCTAssertEqual(summary["errors"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(summary["html_tables"] as? Int ?? 0, 2, "tables render as HTML")
        XCTAssertGreaterThanOrEqual(summary["volatile"] as? Int ?? 0, 2, "train's epoch tables are volatile displays")

        // The notebook the kernel produced checks clean by the session rules.
        let check = try AslshBinary.run(["--check", executed.path], in: directory)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.hasSuffix("cells, all match\n"), check.stdout)

        // nbconvert → HTML → headless Chromium screenshot.
        let html = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["python3", "-m", "nbconvert", "--to", "html", "--output-dir", directory.path, executed.path],
                                           directory: directory, environment: environment)
        XCTAssertEqual(html.status, 0, html.stderr)
        let page = directory.appendingPathComponent("executed.html")
        let pageText = try String(contentsOf: page, encoding: .utf8)
        XCTAssertEqual(pageText.components(separatedBy: "src=\"data:image/png;base64,").count - 1, plotCells, "the HTML embeds every plot")
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0) }) else {
            if MissingTool.mustFail { XCTFail("chromium is not installed (scripts/setup.sh installs it)") }
            throw XCTSkip("chromium is not installed (scripts/setup.sh installs it)")
        }
        let screenshot = directory.appendingPathComponent("quickstart.png")
        let shot = try ExternalTool.launch(URL(fileURLWithPath: chromium),
                                           ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                            "--user-data-dir=" + directory.appendingPathComponent("chromium").path,
                                            "--window-size=1000,2600", "--screenshot=" + screenshot.path, page.absoluteString],
                                           directory: directory)
        XCTAssertEqual(shot.status, 0, shot.stderr.suffix(2000).description)
        let image = try PNG.read(screenshot)
        XCTAssertEqual([image.width, image.height], [1000, 2600])
        // Text is grey on white; the plots bring colour. Count clearly coloured pixels.
        var coloured = 0, inked = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
            if max(r, g, b) - min(r, g, b) > 60 { coloured += 1 }
            if r + g + b < 600 { inked += 1 }
        }
        XCTAssertGreaterThan(inked, image.width * image.height / 50, "the page is not blank")
        XCTAssertGreaterThan(coloured, 5000, "the plots show in the rendered page (\(coloured) coloured pixels)")
        let keep = ProcessInfo.processInfo.environment["ASLSH_SCREENSHOT"]
        if let keep { try? FileManager.default.copyItem(at: screenshot, to: URL(fileURLWithPath: keep)) }
    }
}
