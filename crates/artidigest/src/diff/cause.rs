//! The one table of causes: every explanation `diff_artifacts` gives, each with its cause
//! sentence and its fix, the fix worded for the container the difference was found in (tar
//! flags only for tars, zip advice only for zips, gzip advice for the gzip layer). No other
//! module of `diff/` writes cause or fix prose.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::repack::{CARGO_GENERATED_MTIME, CARGO_LEGACY_MTIME, CARGO_MTIME, DEFAULT_EPOCH};

/// What a difference was found in, which decides how its fix is worded.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// Both artifacts are tars (plain or gzip-compressed) and the difference is inside the tar.
    Tar,
    /// The difference is in the gzip container around a tar.
    Gzip,
    /// Both artifacts are zips (wheels, jars, zip files).
    Zip,
    /// The artifacts are of different formats: the fix names no tool's flags.
    Mixed,
}

impl Container {
    /// Every container, in a fixed order.
    pub const ALL: &'static [Container] = &[
        Container::Tar,
        Container::Gzip,
        Container::Zip,
        Container::Mixed,
    ];
}

relkit_finding::names! {
    Container,
    /// The kebab-case name.
    fn name {
        Tar => "tar",
        Gzip => "gzip",
        Zip => "zip",
        Mixed => "mixed",
    }
}

/// A fix: one sentence for every container, or worded per container.
enum Fix {
    /// The same sentence whatever the container (it names no tar or zip tool).
    All(&'static str),
    /// A tar sentence; zips and mixed pairs get the tool-neutral one.
    Tar {
        tar: &'static str,
        other: &'static str,
    },
    /// One sentence for tars, one for zips, a tool-neutral one for the rest.
    Per {
        tar: &'static str,
        zip: &'static str,
        other: &'static str,
    },
}

macro_rules! causes {
    ($($variant:ident => $name:literal, $cause:literal, $fix:expr;)*) => {
        /// Why two artifacts differ: one stable code per explanation, with its cause sentence
        /// ([`Cause::sentence`]) and its fix for a container ([`Cause::fix`]).
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Cause {
            $(#[doc = $cause] #[serde(rename = $name)] $variant,)*
        }

        impl Cause {
            /// Every cause, in table order.
            pub const ALL: &'static [Cause] = &[$(Cause::$variant,)*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Cause::$variant => $name,)* }
            }

            /// The cause, as one sentence.
            pub fn sentence(self) -> &'static str {
                match self { $(Cause::$variant => $cause,)* }
            }

            fn fix_row(self) -> Fix {
                match self { $(Cause::$variant => $fix,)* }
            }
        }
    };
}

causes! {
    // The container layer.
    FormatsDiffer => "formats-differ",
        "the artifacts are different archive formats: different packaging steps produced them",
        Fix::All("compare artifacts of the same kind (entries are still compared below)");
    GzipStoredTime => "gzip-stored-time",
        "gzip stored the build time or the input file's mtime in its header",
        Fix::All("use gzip -n (or GzBuilder::mtime(0)); with SOURCE_DATE_EPOCH set, tools write 0 or the epoch");
    GzipSystem => "gzip-system",
        "the archives were compressed on different systems or by different gzip implementations, each writing its own OS byte",
        Fix::All("write a fixed OS byte (255, unknown), e.g. by repacking");
    GzipStoredName => "gzip-stored-name",
        "gzip recorded the input file's name (gzip without -n, or a tool that sets FNAME)",
        Fix::All("use gzip -n, or write the same name on both sides");
    GzipCommentWritten => "gzip-comment",
        "a tool stored a comment in the gzip header",
        Fix::All("write no gzip comment");
    GzipExtraWritten => "gzip-extra",
        "a tool stored an FEXTRA field (e.g. BGZF or a timestamp)",
        Fix::All("write no FEXTRA field");
    GzipFlagsWritten => "gzip-flags",
        "different gzip implementations set the text guess (FTEXT) or header CRC (FHCRC) differently",
        Fix::All("compress with the same gzip implementation");
    CompressionLevel => "compression-level",
        "the same tar was compressed at different levels (XFL 2 = level 9, 4 = level 1, 0 = any other level)",
        Fix::All("compress at the same level with the same implementation");
    GzipWriterHint => "gzip-writer-hint",
        "the gzip writers wrote different XFL level hints; the hint changes no uncompressed byte, and the tars inside differ as well (see the other differences)",
        Fix::All("make the tars agree first, then compress both with the same gzip writer and level");
    GzipMemberSplit => "gzip-member-split",
        "one side was written by a parallel or appending compressor (pigz -i, concatenated members)",
        Fix::All("compress the tar as one gzip member");
    TrailingBytes => "trailing-bytes",
        "padding or other bytes were appended after the compressed stream",
        Fix::All("write the gzip stream without trailing bytes");
    DeflateImplementation => "deflate-implementation",
        "another deflate implementation or level compressed the same tar: zlib, zlib-ng, zlib-rs and miniz_oxide emit different valid streams",
        Fix::All("compress with the same implementation and level (the repack report records both), or compare the uncompressed tar");
    // The structure layer.
    FileSystemOrder => "file-system-order",
        "the archiver listed files in directory (file system) order, which differs between machines",
        Fix::Per {
            tar: "sort entries (tar --sort=name), or repack",
            zip: "add the files in sorted order (zip reads directory order: feed it a sorted list, find . | sort | zip -@ out.zip), or repack",
            other: "sort the entries on both sides, or repack both",
        };
    TarWriters => "tar-writers",
        "different tar writers or --format options (GNU tar defaults to gnu, Python's tarfile to pax, bsdtar and npm's node-tar to ustar with pax where needed)",
        Fix::Tar {
            tar: "write the same format on both sides (tar --format=ustar or pax), or repack",
            other: "use the same archiver on both sides, or repack both",
        };
    TarNumberFormat => "tar-number-format",
        "tar header number formatting: different tar writers (GNU tar and Python's tarfile write 7 octal digits and a NUL, npm's node-tar 6 digits, a space and a NUL); the numbers are the same",
        Fix::Tar {
            tar: "repack both with the same tar writer and format (or repack both deterministically)",
            other: "use the same archiver on both sides, or repack both",
        };
    TarHeaderBytes => "tar-header-bytes",
        "the tars differ only in header bytes that decode to the same entries (unused fields, padding inside fields): different tar writers",
        Fix::Tar {
            tar: "repack both with the same tar writer (or repack both deterministically)",
            other: "use the same archiver on both sides, or repack both",
        };
    PaxXattrs => "pax-xattrs",
        "extended attributes (xattrs, ACLs) were archived as PAX records on one side",
        Fix::Tar {
            tar: "use tar --no-xattrs --no-acls --no-selinux, or repack",
            other: "archive without extended attributes, or repack both",
        };
    PaxTimes => "pax-times",
        "PAX time records (atime/ctime/sub-second mtime) were stored, as GNU tar --format=posix and Python's tarfile do",
        Fix::Tar {
            tar: "use tar --pax-option=delete=atime,delete=ctime, or repack",
            other: "store no access or change times, or repack both",
        };
    PaxNeeded => "pax-needed",
        "one writer needed or chose PAX records (long names, large values, global headers)",
        Fix::All("write PAX records only where ustar cannot hold a value (as repack does)");
    GnuLongNames => "gnu-long-names",
        "one side stores long paths as GNU ././@LongLink entries, the other in PAX or ustar prefix fields",
        Fix::Tar {
            tar: "write the same tar format on both sides (tar --format=ustar or pax), or repack",
            other: "use the same archiver on both sides, or repack both",
        };
    RecordPadding => "record-padding",
        "the writers end the tar differently: GNU tar, bsdtar and Python's tarfile fill a 10240-byte record, npm's node-tar and Rust's tar crate stop after the two zero blocks",
        Fix::Tar {
            tar: "use the same writer, or tar --record-size=1024, or repack",
            other: "use the same archiver on both sides, or repack both",
        };
    ZipMethods => "zip-methods",
        "different zip writers or settings stored some entries instead of deflating them",
        Fix::All("use the same zip writer and compression settings, or repack");
    ZipExtraRecords => "zip-extra-records",
        "extra fields carry timestamps and uid/gid (Info-ZIP UT/ux records)",
        Fix::All("use zip -X (no extra attributes), or repack");
    ZipHostSystem => "zip-host-system",
        "the archives were made on different systems (Unix vs FAT/NTFS), which also changes how modes are stored",
        Fix::All("build on the same platform, or repack");
    ZipStreamed => "zip-streamed",
        "one zip writer streamed (sizes in a data descriptor after the data), the other seeked back",
        Fix::All("use the same zip writer, or repack");
    ZipCommentWritten => "zip-comment",
        "a tool wrote a zip archive comment",
        Fix::All("write no archive comment");
    OtherCompressedBytes => "other-compressed-bytes",
        "entries, metadata and contents agree, but the archive bytes differ: another compressor, compression level or record layout",
        Fix::Per {
            tar: "use the same archiver and compression level, or repack both deterministically",
            zip: "use the same zip writer and compression level, or repack both deterministically",
            other: "repack both deterministically",
        };
    // The metadata layer.
    KindChanged => "kind-changed",
        "a path is a file on one side and a directory or link on the other",
        Fix::All("check the source trees: a symlink may have been dereferenced");
    CheckoutTimes => "checkout-times",
        "every mtime differs and each side carries the files' own times: the trees were checked out or built at different times",
        Fix::Per {
            tar: "set SOURCE_DATE_EPOCH and stamp it (tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime), or repack with a fixed mtime",
            zip: "set SOURCE_DATE_EPOCH for the builder (wheel builders stamp every entry with it), or repack with a fixed mtime",
            other: "set SOURCE_DATE_EPOCH for both builds, or repack both with a fixed mtime",
        };
    SourceDateEpoch => "source-date-epoch",
        "built with different SOURCE_DATE_EPOCH values: every entry carries one fixed time per side, and the two times differ",
        Fix::All("set SOURCE_DATE_EPOCH to the release commit's time (git log -1 --format=%ct) for both builds");
    FixedVersusFileTimes => "fixed-versus-file-times",
        "one side stamped every entry with one fixed time (SOURCE_DATE_EPOCH or a fixed mtime), the other kept the files' own times",
        Fix::Per {
            tar: "set SOURCE_DATE_EPOCH for both builds and stamp it (tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime), or repack with a fixed mtime",
            zip: "set SOURCE_DATE_EPOCH for both builds (wheel builders stamp every entry with it), or repack with a fixed mtime",
            other: "set SOURCE_DATE_EPOCH for both builds, or repack both with a fixed mtime",
        };
    PackerConstant => "packer-constant",
        "packed by different tools: the mtimes are packers' fixed constants, not build times (npm 499162500 = 1985-10-26T08:15:00Z, yarn 456789000 = 1984-06-22T21:50:00Z, cargo 1153704088); the values name the packers",
        Fix::All("pack both with the same tool (npm pack, yarn pack, cargo package), or repack both with one fixed mtime");
    FilesModified => "files-modified",
        "those files were modified or regenerated between the builds",
        Fix::Per {
            tar: "set SOURCE_DATE_EPOCH and clamp mtimes (tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime), or repack with a fixed mtime",
            zip: "set SOURCE_DATE_EPOCH for the builder (wheel builders stamp every entry with it), or repack with a fixed mtime",
            other: "set SOURCE_DATE_EPOCH for both builds, or repack both with a fixed mtime",
        };
    Umask => "umask",
        "different umasks or checkout modes (group-writable files, lost executable bits)",
        Fix::Per {
            tar: "normalise modes (umask 022, tar --mode=go-w), or repack to 0644/0755",
            zip: "normalise modes before zipping (umask 022, chmod go-w), or repack to 0644/0755",
            other: "normalise modes (umask 022) before packing, or repack both to 0644/0755",
        };
    BuildUsers => "build-users",
        "the archives were built by different users, whose ids were recorded",
        Fix::Per {
            tar: "use tar --owner=0 --group=0 --numeric-owner, or repack",
            zip: "use zip -X (no uid/gid extra field), or repack",
            other: "record no owners, or repack both",
        };
    OwnerNames => "owner-names",
        "the archiver recorded the building user's and group's names",
        Fix::Tar {
            tar: "use tar --owner=0 --group=0 --numeric-owner, or repack",
            other: "record no owner names, or repack both",
        };
    LinkTargets => "link-targets",
        "the symlinks in the source trees point elsewhere",
        Fix::All("fix the links in the source tree; relative links inside the package are the reproducible form");
    // The content layer: entries on one side only.
    BuildOutput => "build-output",
        "a build/ or dist/ folder was packed on one side only: a previous build's output, or a build step that ran on one side only",
        Fix::All("clean the tree before packaging (rm -rf build dist) and run the same build steps, or prune them in the include rules (MANIFEST.in, files, include)");
    Bytecode => "bytecode",
        "compiled Python bytecode was packed",
        Fix::All("exclude __pycache__ and *.pyc (global-exclude *.py[cod])");
    TargetFolder => "target-folder",
        "a target/ build folder was packed",
        Fix::All("exclude target/ from the package");
    VcsFolder => "vcs-folder",
        "version-control metadata (.git, .hg, .svn) was packed",
        Fix::All("exclude VCS folders (build from a clean export)");
    JunkFiles => "junk-files",
        "editor or desktop junk files were packed",
        Fix::All("exclude editor/OS junk files, or build from a clean checkout");
    StaleEggInfo => "stale-egg-info",
        "a stale .egg-info folder differs between the trees",
        Fix::All("delete *.egg-info before building");
    NoVcsInfo => "no-vcs-info",
        "one side was packaged outside a git checkout: cargo writes .cargo_vcs_info.json only when it packages from one",
        Fix::All("package both from a git checkout of the tag");
    IncludeRules => "include-rules",
        "the file lists differ: the include/exclude rules or the source trees differ",
        Fix::All("build both from the same commit with the same include rules");
    // The content layer: changed entries.
    LineEndings => "line-endings",
        "line endings differ (CRLF vs LF)",
        Fix::All("check out with the same line-ending settings (.gitattributes, core.autocrlf=false)");
    GeneratedMetadata => "generated-metadata",
        "generated packaging metadata differs: another build-tool version, another commit, or other build inputs",
        Fix::All("pin the build backend and its version, and build both from the same commit");
    HandEditedManifest => "hand-edited-manifest",
        "hand-edited manifest: package.json differs in keys no packer writes (npm pack copies it byte for byte), so it was edited between the builds",
        Fix::All("pack both from the same commit; commit manifest edits before packing");
    ManifestRewritten => "manifest-rewritten",
        "the same manifest, rewritten by a packer: yarn and pnpm re-serialise package.json and replace workspace:/catalog: ranges and publishConfig fields, npm pack copies it byte for byte",
        Fix::All("pack both with the same tool");
    DirtyTree => "dirty-tree",
        "built from a dirty tree: .cargo_vcs_info.json says \"dirty\": true (cargo package --allow-dirty with uncommitted changes)",
        Fix::All("build from a clean checkout of the tag (cargo package without --allow-dirty)");
    DifferentCommits => "different-commits",
        "packaged from different commits: the two .cargo_vcs_info.json name different git.sha1 values",
        Fix::All("package both from the tag's commit");
    UncommittedChange => "uncommitted-change",
        "an uncommitted change: the side whose .cargo_vcs_info.json says \"dirty\": true was packaged from a work tree that differs from its commit",
        Fix::All("build from a clean checkout of the tag (cargo package without --allow-dirty)");
    SourceChanged => "source-changed",
        "the file's content changed: other sources, or a generated file embedding build data (timestamps, paths, versions)",
        Fix::All("build both from the same commit; look for embedded dates or absolute paths in generated files");
}

impl Cause {
    /// How to make the two artifacts agree, worded for `container`: a zip's fix names no tar
    /// flag, a tar's no zip tool.
    pub fn fix(self, container: Container) -> &'static str {
        match (self.fix_row(), container) {
            (Fix::All(s), _) => s,
            (Fix::Tar { tar, .. }, Container::Tar) => tar,
            (Fix::Tar { other, .. }, _) => other,
            (Fix::Per { tar, .. }, Container::Tar) => tar,
            (Fix::Per { zip, .. }, Container::Zip) => zip,
            (Fix::Per { other, .. }, _) => other,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fixed mtimes that packers write instead of a build time, with the packer's name.
const PACKER_MTIMES: &[(u64, &str)] = &[
    (499_162_500, "npm's fixed mtime, 1985-10-26T08:15:00Z"),
    (456_789_000, "yarn's fixed mtime, 1984-06-22T21:50:00Z"),
    (CARGO_MTIME, "cargo's fixed mtime, 2006-07-24T01:21:28Z"),
    (CARGO_LEGACY_MTIME, "older cargo's fixed mtime, 1973-11-29"),
    (
        CARGO_GENERATED_MTIME,
        "cargo's fixed mtime for generated files",
    ),
    (
        DEFAULT_EPOCH,
        "the earliest zip time, 1980-01-01: repack's default",
    ),
];

/// The packer whose fixed constant `mtime` is, if any.
pub(crate) fn packer_of(mtime: i64) -> Option<&'static str> {
    let t = u64::try_from(mtime).ok()?;
    PACKER_MTIMES
        .iter()
        .find(|(c, _)| *c == t)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packers_are_recognised() {
        assert_eq!(
            packer_of(499_162_500),
            Some("npm's fixed mtime, 1985-10-26T08:15:00Z")
        );
        assert!(packer_of(456_789_000).is_some_and(|p| p.starts_with("yarn")));
        assert_eq!(packer_of(1_700_000_000), None);
        assert_eq!(packer_of(-1), None);
    }
}
