/**
 * The guest agent: a busybox sh /init that mounts proc, sysfs and devtmpfs,
 * loads the modules (in dependency order), then serves requests on the second
 * serial port (ttyS1), one line each, and answers in frames:
 *
 *   host  -> guest   <seq> <command> [args...]
 *   guest -> host    @@BEGIN <seq>
 *                    ...output lines...
 *                    @@END <seq> <rc> [error text]
 *
 * Commands: ping, snap (the files pfnlab compares, each as `@@FILE <path>`
 * then its content, node links as `@@LINK <path> <target>`), write PATH VALUE,
 * read PATH, ls DIR, wait_blocks N SECONDS (until there are N memory blocks),
 * dmesg (kernel messages since the last call), insmod MODULE (one shipped in
 * /lib/modules but not loaded at boot), rmmod MODULE, settle SECONDS (until
 * the block count and every block's state read the same twice 0.1 s apart,
 * none "going-offline"), kpage FIRST COUNT (/proc/kpageflags then
 * /proc/kpagecount for COUNT pfns from FIRST, both multiples of 512, as
 * `uniq -c` runs of od's hex words: `@@FLAGS`, runs, `@@COUNT`, runs),
 * exists PATH, sh COMMAND... (debugging).
 * Unsolicited lines (`@@READY`, anything the kernel says on ttyS1) are kept
 * as noise. Output lines never start with "@@" except the frames: /proc and
 * sysfs files do not.
 */

export const AGENT_INIT = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 > /proc/sys/kernel/printk_devkmsg 2>/dev/null
for m in $(cat /etc/modules); do
  insmod /lib/modules/$m.ko || echo "pfnlab-agent: insmod $m failed" > /dev/console
done
dmesg -c > /dev/null
port=/dev/ttyS1
stty -F $port raw -echo -echoe -echok -icrnl -onlcr 115200
exec < $port > $port 2>&1
MEM=/sys/devices/system/memory
one() { if read -r l < "$1"; then echo "$l"; fi; }
snap() {
  for f in /proc/iomem /proc/zoneinfo; do echo "@@FILE $f"; cat $f; done
  for f in block_size_bytes auto_online_blocks; do echo "@@FILE $MEM/$f"; one $MEM/$f; done
  for d in $MEM/memory[0-9]*; do
    [ -d "$d" ] || continue
    for a in phys_index state valid_zones removable phys_device online; do
      [ -e "$d/$a" ] || continue
      echo "@@FILE $d/$a"; one $d/$a
    done
    for n in $d/node[0-9]*; do [ -e "$n" ] && echo "@@LINK $n ../../node/\${n##*/}"; done
  done
}
states() { echo $(nblocks) $(cat $MEM/memory[0-9]*/state 2>/dev/null); }
kpage() {
  echo "@@FLAGS"
  dd if=/proc/kpageflags bs=4096 skip=$(($1/512)) count=$(($2/512)) 2>/dev/null | od -Ad -tx8 -w8
  echo "@@COUNT"
  dd if=/proc/kpagecount bs=4096 skip=$(($1/512)) count=$(($2/512)) 2>/dev/null | od -Ad -tx8 -w8
}
nblocks() { c=0; for d in $MEM/memory[0-9]*; do [ -d "$d" ] && c=$((c+1)); done; echo $c; }
echo "@@READY"
while read -r seq cmd a b; do
  [ -n "$seq" ] || continue
  echo "@@BEGIN $seq"
  rc=0; err=
  case "$cmd" in
    ping) echo pong ;;
    snap) snap ;;
    write) err=$( { echo "$b" > "$a"; } 2>&1 ) || rc=1 ;;
    read) cat "$a" || rc=1 ;;
    ls) ls -1 "$a" || rc=1 ;;
    wait_blocks)
      i=0; n=$(nblocks)
      while [ "$n" != "$a" ] && [ $i -lt $((b*20)) ]; do sleep 0.05; i=$((i+1)); n=$(nblocks); done
      echo "$n"; [ "$n" = "$a" ] || rc=1 ;;
    dmesg) dmesg -c ;;
    insmod) err=$(insmod /lib/modules/$a.ko 2>&1) || rc=1 ;;
    rmmod) err=$(rmmod $a 2>&1) || rc=1 ;;
    exists) [ -e "$a" ] || rc=1 ;;
    settle)
      i=0; prev=
      while [ $i -lt $((a*10)) ]; do
        cur=$(states)
        case "$cur" in *going*) prev= ;; *) [ "$cur" = "$prev" ] && break; prev=$cur ;; esac
        sleep 0.1; i=$((i+1))
      done
      [ $i -lt $((a*10)) ] || { rc=1; err="still changing after $a s: $cur"; } ;;
    kpage) kpage "$a" "$b" ;;
    sh) eval "$a $b" || rc=$? ;;
    poweroff) echo bye; echo "@@END $seq 0"; poweroff -f ;;
    *) rc=1; err="unknown command $cmd" ;;
  esac
  echo "@@END $seq $rc $(echo $err)"
done
poweroff -f
`;

export interface AgentResponse {
  readonly seq: number;
  readonly rc: number;
  /** The error text after the rc (a failed write's message), '' when none. */
  readonly error: string;
  readonly lines: readonly string[];
}

/** Splits the guest's byte stream into frames. Lines outside frames are noise. */
export class AgentParser {
  private buffer = '';
  private current: { seq: number; lines: string[] } | undefined;
  readonly noise: string[] = [];

  /** Feed bytes; returns the responses completed by them. */
  feed(chunk: string): AgentResponse[] {
    this.buffer += chunk;
    const out: AgentResponse[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const r = this.line(line);
      if (r) out.push(r);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  private line(line: string): AgentResponse | undefined {
    const begin = /^@@BEGIN (\d+)$/.exec(line);
    if (begin) {
      this.current = { seq: Number(begin[1]), lines: [] };
      return undefined;
    }
    const end = /^@@END (\d+) (\d+) ?(.*)$/.exec(line);
    if (end && this.current && Number(end[1]) === this.current.seq) {
      const r = {
        seq: this.current.seq,
        rc: Number(end[2]),
        error: end[3].trim(),
        lines: this.current.lines,
      };
      this.current = undefined;
      return r;
    }
    if (this.current) this.current.lines.push(line);
    else this.noise.push(line);
    return undefined;
  }
}

/** A request line. Arguments must not contain whitespace or newlines. */
export function agentRequest(seq: number, command: string, args: readonly string[] = []): string {
  for (const a of [command, ...args]) {
    if (a === '' || /\s/.test(a))
      throw new RangeError(`agent argument ${JSON.stringify(a)} is empty or has spaces`);
  }
  return `${[seq, command, ...args].join(' ')}\n`;
}

/** A snapshot as files: absolute guest path -> content (without the final newline), plus node links. */
export interface GuestFiles {
  readonly files: Map<string, string>;
  readonly links: Map<string, string>;
}

/** Parse a `snap` response's lines. */
export function parseSnapshot(lines: readonly string[]): GuestFiles {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let path: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (path !== undefined) files.set(path, body.join('\n'));
    path = undefined;
    body = [];
  };
  for (const line of lines) {
    const file = /^@@FILE (\S+)$/.exec(line);
    const link = /^@@LINK (\S+) (\S+)$/.exec(line);
    if (file) {
      flush();
      path = file[1];
    } else if (link) {
      flush();
      links.set(link[1], link[2]);
    } else if (path !== undefined) {
      body.push(line);
    }
  }
  flush();
  return { files, links };
}

/** strerror() texts a failed sysfs write prints, mapped to errno names. */
const STRERROR: readonly [RegExp, string][] = [
  [/Device or resource busy/i, 'EBUSY'],
  [/Invalid argument/i, 'EINVAL'],
  [/File exists/i, 'EEXIST'],
  [/No such device or address/i, 'ENXIO'],
  [/No such file or directory/i, 'ENOENT'],
  [/Cannot allocate memory|Out of memory/i, 'ENOMEM'],
  [/Argument list too long/i, 'E2BIG'],
  [/Numerical result out of range|Result not representable/i, 'ERANGE'],
  [/No space left on device/i, 'ENOSPC'],
  [/Operation not permitted/i, 'EPERM'],
  [/No such device/i, 'ENODEV'],
  [/Resource temporarily unavailable/i, 'EAGAIN'],
  [/Interrupted system call/i, 'EINTR'],
];

/** The errno name in an error message such as "sh: write error: Device or resource busy". */
export function errnoFromMessage(message: string): string | undefined {
  for (const [re, name] of STRERROR) if (re.test(message)) return name;
  return undefined;
}
