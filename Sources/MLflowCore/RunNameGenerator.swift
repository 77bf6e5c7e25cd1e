/// Makes the `<adjective>-<noun>-<number>` names MLflow gives runs created without one
/// (e.g. `brave-otter-417`; at most 20 characters). The word lists are our own.
public enum RunNameGenerator {
    static let adjectives = [
        "able", "agile", "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "curious",
        "daring", "eager", "fair", "fancy", "fearless", "gentle", "glad", "golden", "grand", "happy",
        "honest", "jolly", "keen", "kind", "lively", "loyal", "lucky", "merry", "mighty", "nimble",
        "noble", "patient", "polite", "proud", "quick", "quiet", "rapid", "serene", "sharp", "shy",
        "silent", "smart", "steady", "sunny", "swift", "tidy", "upbeat", "vivid", "warm", "wise",
    ]
    static let nouns = [
        "ant", "bass", "bear", "bee", "bird", "bison", "carp", "cat", "colt", "crab",
        "crane", "deer", "dove", "duck", "eagle", "eel", "elk", "finch", "fox", "frog",
        "gecko", "goat", "goose", "hare", "hawk", "heron", "horse", "ibis", "koala", "lark",
        "lemur", "lion", "lynx", "mole", "moose", "newt", "otter", "owl", "panda", "pony",
        "quail", "robin", "seal", "shark", "sloth", "snail", "swan", "tiger", "trout", "wolf",
    ]

    /// A fresh random name.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let adjective = adjectives.randomElement(using: &generator)!
        let noun = nouns.randomElement(using: &generator)!
        let number = Int.random(in: 0..<1000, using: &generator)
        return "\(adjective)-\(noun)-\(number)"
    }
}
