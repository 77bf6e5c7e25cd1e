import FoundationEssentials

/// The nginx configuration `up` runs: the template from `deploy/nginx/` with its
/// `{{listen}}`, `{{socket}}`, `{{location}}`, `{{data}}` and `{{artifacts}}` placeholders
/// filled in.
struct NginxConfig {
    static let templateName = "nginx.conf.template"
    /// The internal location that serves artifact downloads (`X-Accel-Redirect`).
    static let artifactsLocation = "/_mlflow_artifacts/"

    /// Where to look for the template when none is given: beside a source checkout's build
    /// folder (`.build/<triple>/release/mlflow-fcgi` → `deploy/nginx/`), in an installed
    /// `share/mlflow-fcgi/`, and in the current folder's `deploy/nginx/`.
    static func defaultTemplatePath() -> String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent("../../../deploy/nginx/\(templateName)").standardized.path,
            executable.appendingPathComponent("../share/mlflow-fcgi/\(templateName)").standardized.path,
            FileManager.default.currentDirectoryPath + "/deploy/nginx/\(templateName)",
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The template with every placeholder replaced; an unknown `{{...}}` left over is an error.
    static func render(template: String, listen: String, socket: String, location: String, data: String, artifacts: String) throws -> String {
        var text = template
        for (name, value) in [("listen", listen), ("socket", socket), ("location", location), ("data", data), ("artifacts", artifacts)] {
            text = text.replacing("{{\(name)}}", with: value)
        }
        if let range = text.firstRange(of: "{{") {
            let line = text[range.lowerBound...].prefix { $0 != "\n" }
            throw CommandError("the nginx template has an unknown placeholder: \(line)")
        }
        return text
    }
}
