//! Private Redis and PostgreSQL instances, for the tests that stop, kill or restart one.
//!
//! Every other test shares the machine's Redis (127.0.0.1:6379) and PostgreSQL
//! (127.0.0.1:5432), and runs in parallel with the rest. A test that restarts a service
//! must therefore never restart a shared one: it would break every test running beside it,
//! and a developer's own databases. These instances live in a fresh temporary directory, on
//! a free port of 127.0.0.1, and are gone (processes and files) when dropped.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root its commands run as the
//! `postgres` OS user (`runuser`, else `su`), and its directories are owned by that user.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::python::free_port;

/// A fresh, empty directory of this process's temporary directory.
fn fresh_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("create the directory {}: {e}", dir.display()));
    dir
}

/// The last lines of a log file, for a panic message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A Redis server of the test's own, without persistence: [`PrivateRedis::kill`] loses its
/// data, as a crash of a non-persistent Redis does.
pub struct PrivateRedis {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` on a free port and waits until it answers `PING`.
    pub fn start() -> Self {
        let mut redis = Self {
            dir: fresh_dir("folio-redis"),
            port: free_port(),
            child: None,
        };
        redis.launch(false);
        redis
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (SIGKILL) and waits for it to end.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, empty, on the same port, and waits until it answers `PING`.
    pub fn restart(&mut self) {
        self.kill();
        self.launch(true);
    }

    /// Spawns the server until one answers within 10 s. A server that exits at once (its
    /// port briefly taken) is tried again: on the same port if `keep_port`, else a new one.
    fn launch(&mut self, keep_port: bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut child = self.spawn();
            match wait_for_pong(&mut child, self.port, deadline) {
                Ok(()) => {
                    self.child = Some(child);
                    return;
                }
                Err(exited) if exited && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                    if !keep_port {
                        self.port = free_port();
                    }
                }
                Err(exited) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "private redis-server on port {} {}; its log:\n{}",
                        self.port,
                        if exited {
                            "exited"
                        } else {
                            "gave no PONG within 10 s"
                        },
                        log_tail(&self.dir.join("redis.log"))
                    );
                }
            }
        }
    }

    fn spawn(&self) -> Child {
        let log_path = self.dir.join("redis.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap_or_else(|e| panic!("open {}: {e}", log_path.display()));
        let err = log.try_clone().expect("clone the redis log's handle");
        let port = self.port.to_string();
        Command::new("redis-server")
            .args(["--port", port.as_str(), "--save", ""])
            .args("--bind 127.0.0.1 --appendonly no --daemonize no --dir".split(' '))
            .arg(&self.dir)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("run redis-server (is Redis installed?): {e}"))
    }
}

/// Waits until the server answers `PING`: `Err(true)` if it exited, `Err(false)` if the
/// deadline passed.
fn wait_for_pong(child: &mut Child, port: u16, deadline: Instant) -> Result<(), bool> {
    loop {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Err(true);
        }
        if pong(port) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(false);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pong(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let mut reply = [0_u8; 5];
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .is_ok()
        && stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && reply == *b"+PONG"
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PostgreSQL cluster of the test's own (`initdb`, `pg_ctl`), trusting every local
/// connection of the `postgres` role.
pub struct PrivatePostgres {
    root: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// Creates the cluster and starts it on a free port.
    pub fn start() -> Self {
        let root = fresh_dir("folio-pg");
        for dir in ["data", "sock"] {
            std::fs::create_dir_all(root.join(dir)).expect("create the cluster's directories");
        }
        if running_as_root() {
            give_to_postgres(&root);
        }
        let mut postgres = Self {
            root,
            port: free_port(),
        };
        let data = postgres.path("data");
        let mut initdb: Vec<&str> = "-A trust -U postgres --no-sync -E UTF8 --locale=C -D"
            .split(' ')
            .collect();
        initdb.push(&data);
        postgres.run(&pg_bin("initdb"), &initdb);
        postgres.start_again();
        postgres
    }

    /// `postgres://postgres@127.0.0.1:PORT`, the server without a database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// The URL of the database `db` on this server.
    pub fn database_url(&self, db: &str) -> String {
        format!("{}/{db}", self.url())
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (`-m fast`: clients' connections are dropped) and waits for it.
    pub fn stop(&mut self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    /// Starts the server, on the same port, and waits until it accepts connections.
    pub fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.path("sock")
        );
        let log = self.path("data/log");
        self.pg_ctl(&["-l", &log, "-w", "-t", "30", "-o", &options, "start"]);
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.path("data");
        self.run(
            &pg_bin("pg_ctl"),
            &[&["-D", data.as_str()][..], args].concat(),
        );
    }

    fn path(&self, relative: &str) -> String {
        self.root.join(relative).display().to_string()
    }

    /// Runs `program` as the `postgres` user, panicking with its output and the server
    /// log's tail if it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let output = as_postgres(program, args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "private PostgreSQL: `{program} {}` failed ({}):\n{}{}\nserver log:\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log_tail(&self.root.join("data/log")),
            ),
            Err(e) => panic!("private PostgreSQL: could not run `{program}`: {e}"),
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.path("data");
        let _ = as_postgres(&pg_bin("pg_ctl"), &["-D", &data, "-m", "immediate", "stop"])
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A PostgreSQL program: Debian's version 15 if installed, else the one on `PATH`.
fn pg_bin(name: &str) -> String {
    let debian = format!("/usr/lib/postgresql/15/bin/{name}");
    if Path::new(&debian).exists() {
        debian
    } else {
        name.to_owned()
    }
}

/// Makes the `postgres` user own `dir` and everything in it.
fn give_to_postgres(dir: &Path) {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "chown -R postgres:postgres {} (is there a `postgres` user?): {status:?}",
        dir.display()
    );
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args`, as the `postgres` user when this process runs as root.
fn as_postgres(program: &str, args: &[&str]) -> Command {
    if !running_as_root() {
        let mut command = Command::new(program);
        command.args(args);
        return command;
    }
    let runuser = Command::new("runuser")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runuser {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", program]).args(args);
        return command;
    }
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut command = Command::new("su");
    command.args(["postgres", "-s", "/bin/sh", "-c", line.join(" ").as_str()]);
    command
}
