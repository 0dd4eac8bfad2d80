import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Asks a coordinator's dashboard for its live state (`/api/state`).
public enum DashboardClient {
    /// The state, or nil when nothing answers within `timeout` seconds or the answer is not a state (the caller
    /// then reads the journal, and its output says which it shows).
    public static func state(at address: String, timeout: Double = 2) async -> DashboardState? {
        guard var components = URLComponents(string: address), components.scheme == "http" || components.scheme == "https" else {
            return nil
        }
        let token = components.queryItems?.first { $0.name == "token" }?.value
        components.path = (components.path.hasSuffix("/") ? components.path : components.path + "/") + "api/state"
        guard let url = components.url else { return nil }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return try? JSONDecoder().decode(DashboardState.self, from: data)
    }
}
