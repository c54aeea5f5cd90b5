//! Runs `docs/walkthrough.md`: every fenced ```` ```yaml file=NAME ```` / ```` ```json file=NAME ````
//! block is written to a scratch directory, and every ```` ```console ```` block is executed:
//! `$ ` lines are commands (see `golden.rs` for their syntax), the lines after one are what it
//! prints (stdout, then stderr). `[..]` matches any text within a line.
//! `GOLDEN=overwrite cargo test --test integration walkthrough` rewrites the outputs.
//!
//! `$ kubectl ...` lines run Debian's kubectl against a stand-in Kubernetes API server
//! (`calico::testing::kube_api`) started for the walkthrough, with namespace `default`; its
//! kubeconfig is the scratch directory's `kubeconfig` file, and `KUBECONFIG` names it for
//! kubectl and `calico-kube-controllers`. The other programs get no `KUBECONFIG` (`calico-ipam` would read every pod from
//! the API then; sections 1 to 5 give their annotations in the network configuration), so a
//! configuration that wants the API names the file (`"kubernetes": {"kubeconfig": ...}`).

use crate::golden::{lines_match, run_command};
use calico::testing::kube_api::KubeApiServer;
use std::path::Path;

enum Block {
    Text(String),
    File {
        info: String,
        name: String,
        body: String,
    },
    Console {
        commands: Vec<(String, Vec<String>)>,
    },
}

fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.split_inclusive('\n').peekable();
    let mut prose = String::new();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end_matches('\n');
        let Some(info) = trimmed.strip_prefix("```").filter(|i| !i.is_empty()) else {
            prose.push_str(line);
            continue;
        };
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.trim_end_matches('\n') == "```" {
                break;
            }
            body.push(l.trim_end_matches('\n').to_string());
        }
        if let Some(name) = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
        {
            blocks.push(Block::Text(std::mem::take(&mut prose)));
            blocks.push(Block::File {
                info: info.to_string(),
                name: name.to_string(),
                body: body.iter().map(|l| format!("{l}\n")).collect(),
            });
        } else if info == "console" {
            blocks.push(Block::Text(std::mem::take(&mut prose)));
            let mut commands: Vec<(String, Vec<String>)> = Vec::new();
            for l in body {
                match l.strip_prefix("$ ") {
                    Some(c) => commands.push((c.to_string(), Vec::new())),
                    None => {
                        if let Some(last) = commands.last_mut() {
                            last.1.push(l);
                        }
                    }
                }
            }
            blocks.push(Block::Console { commands });
        } else {
            prose.push_str(line);
            for l in &body {
                prose.push_str(l);
                prose.push('\n');
            }
            prose.push_str("```\n");
        }
    }
    blocks.push(Block::Text(prose));
    blocks
}

fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Text(t) => out.push_str(t),
            Block::File { info, body, .. } => {
                out.push_str(&format!("```{info}\n{body}```\n"));
            }
            Block::Console { commands } => {
                out.push_str("```console\n");
                for (c, lines) in commands {
                    out.push_str(&format!("$ {c}\n"));
                    for l in lines {
                        out.push_str(l);
                        out.push('\n');
                    }
                }
                out.push_str("```\n");
            }
        }
    }
    out
}

#[test]
fn walkthrough() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/walkthrough.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut blocks = parse(&text);
    assert_eq!(
        render(&blocks),
        text,
        "the walkthrough parser must round-trip the page"
    );
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "CALICO_DATASTORE_PATH".to_string(),
        dir.path().join("walkthrough.db").display().to_string(),
    )];
    assert!(
        Path::new("/usr/bin/kubectl").is_file(),
        "/usr/bin/kubectl not found: the walkthrough's Kubernetes section runs the real kubectl \
         (install it with `apt-get install kubernetes-client`)"
    );
    let api = KubeApiServer::start();
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    api.apply(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "default"}, "status": {"phase": "Active"}}));
    let mut kube_env = env.clone();
    kube_env.push(("KUBECONFIG".to_string(), kubeconfig.display().to_string()));
    let overwrite = std::env::var("GOLDEN").as_deref() == Ok("overwrite");
    let mut failures = Vec::new();
    let mut ran = 0;
    for block in &mut blocks {
        match block {
            Block::File { name, body, .. } => std::fs::write(dir.path().join(name), body).unwrap(),
            Block::Console { commands } => {
                for (command, expected) in commands.iter_mut() {
                    let env = if command.starts_with("kubectl ")
                        || command.starts_with("calico-kube-controllers ")
                    {
                        &kube_env
                    } else {
                        &env
                    };
                    let (stdout, stderr, _status) =
                        run_command("walkthrough", command, dir.path(), env);
                    ran += 1;
                    let actual: Vec<String> = stdout.into_iter().chain(stderr).collect();
                    if !lines_match(expected, &actual) {
                        if overwrite {
                            *expected = actual;
                        } else {
                            failures.push(format!(
                                "`{command}`\n--- expected\n{}\n--- actual\n{}",
                                expected.join("\n"),
                                actual.join("\n")
                            ));
                        }
                    }
                }
            }
            Block::Text(_) => {}
        }
    }
    if overwrite {
        std::fs::write(&path, render(&blocks)).unwrap();
    }
    assert!(ran > 30, "the walkthrough ran only {ran} commands");
    assert!(
        failures.is_empty(),
        "docs/walkthrough.md is out of date:\n\n{}",
        failures.join("\n\n")
    );
}
