#ifndef GOSSIP_CCODEPAGES_SHIM_H
#define GOSSIP_CCODEPAGES_SHIM_H

// How gossipd's own code sits in memory. gossipd is one binary of about 65 MB (the Swift runtime
// and FoundationEssentials linked in statically, 22 MB of it code); its pages belong to the page
// cache and are shared by every gossipd on the machine.
//
// - Once started, a node lets go of the pages of its code that starting it mapped: the kernel maps
//   a file's pages in windows around each first use (fault-around), and starting a node
//   (arguments, configuration, keys, proof of work) runs code spread over much of the binary, so
//   an idle node had about 10 MiB of it mapped, most of it never run again. Those pages are the
//   page cache's; what this changes is how many each process keeps mapped, and so its RSS. The
//   pages a node goes on running are mapped again from the page cache at their next use (a minor
//   fault per window). See docs/benchmarks.md, "Idle RSS".
// - 2 MiB pages: gossipd is linked with its segments aligned to 2 MiB (Package.swift), so where
//   the page cache holds its code in 2 MiB folios the kernel maps each with one page-table entry
//   (FilePmdMapped in smaps). A node woken among hundreds of other processes then takes a few TLB
//   misses for its code instead of hundreds. A binary just built or copied sits in the cache in
//   the folios it was written in; `gossip_code_pages_prepare_file` reads it afresh in 2 MiB folios,
//   for a launcher before it starts the nodes (gossip-bench code-pages; docs/operations.md, "Many
//   nodes on one machine"). Every process of that file then maps whole 2 MiB folios, and its RSS
//   counts them (shared: the memory is the page cache's, once for the machine).

#include <errno.h>
#if defined(__linux__) && defined(__LP64__)
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/// Drops, within [start, end), every mapping /proc/self/maps shows as a private, read-only
/// mapping of the executable's own file: its path (`executable_path`, what /proc/self/exe links
/// to), or its device and inode (`device`, `inode`). A filesystem may show one of them
/// differently in the two places (btrfs subvolumes show another device; older overlayfs the lower
/// layer's inode), so either will do. Anything else in the range is left alone: code a tool
/// copied into anonymous memory (huge-page remappers), or a page made writable. Returns 1 if it
/// dropped anything.
static int gossip_code_pages_release_range(
    uintptr_t start, uintptr_t end, const char *executable_path, dev_t device, ino_t inode) {
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == 0) return 0;
    int released = 0;
    char *line = 0;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, maps)) > 0) {  // whole lines, however long the path
        if (line[length - 1] == '\n') line[length - 1] = 0;
        unsigned long low = 0, high = 0, offset = 0, node = 0;
        unsigned int major = 0, minor = 0;
        char permissions[8] = {0};
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &low, &high, permissions, &offset, &major, &minor, &node, &consumed) < 7) continue;
        if (strcmp(permissions, "r-xp") != 0 && strcmp(permissions, "r--p") != 0) continue;
        const char *path = consumed > 0 ? line + consumed : "";
        int same_file = ((dev_t)makedev(major, minor) == device && (ino_t)node == inode)
            || (executable_path[0] == '/' && strcmp(path, executable_path) == 0);
        if (!same_file) continue;
        uintptr_t from = low > start ? low : start;
        uintptr_t to = high < end ? high : end;
        if (from >= to) continue;
        if (madvise((void *)from, to - from, MADV_DONTNEED) == 0) released = 1;
    }
    free(line);
    fclose(maps);
    return released;
}

/// Drops this process's mappings of the executable's read-only segments (they are mapped again
/// as they are used); returns how many segments it dropped pages of (0 where it dropped none:
/// not Linux, no program headers, text relocations, or nothing that passed the checks).
static inline int gossip_release_code_pages(void) {
    // The executable's program headers, as the kernel loaded it.
    const Elf64_Phdr *headers = (const Elf64_Phdr *)getauxval(AT_PHDR);
    size_t count = (size_t)getauxval(AT_PHNUM);
    if (headers == 0 || count == 0) return 0;
    // Where it was loaded: the headers' address less where they say they are (PT_PHDR).
    uintptr_t bias = 0;
    int found = 0;
    for (size_t index = 0; index < count; index++) {
        if (headers[index].p_type == PT_PHDR) {
            bias = (uintptr_t)headers - (uintptr_t)headers[index].p_vaddr;
            found = 1;
        }
    }
    if (!found) return 0;
    // Code relocated in place (text relocations) was written at load time: leave it all alone.
    for (size_t index = 0; index < count; index++) {
        if (headers[index].p_type != PT_DYNAMIC) continue;
        for (const Elf64_Dyn *entry = (const Elf64_Dyn *)(bias + headers[index].p_vaddr); entry->d_tag != DT_NULL; entry++) {
            if (entry->d_tag == DT_TEXTREL) return 0;
            if (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL)) return 0;
        }
    }
    struct stat executable;
    if (stat("/proc/self/exe", &executable) != 0) return 0;
    char executable_path[4096] = {0};
    ssize_t path_length = readlink("/proc/self/exe", executable_path, sizeof executable_path - 1);
    executable_path[path_length > 0 ? path_length : 0] = 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    int released = 0;
    for (size_t index = 0; index < count; index++) {
        const Elf64_Phdr *header = &headers[index];
        // Only segments loaded read-only (code, constants), which are never written, so dropping
        // their mappings loses nothing: they read back from the file as they were. A writable
        // segment (data, and the relocated RELRO part) holds the process's own state: never.
        if (header->p_type != PT_LOAD || (header->p_flags & PF_W)) continue;
        // Whole pages inside the segment only: a page it shares with a neighbour is kept.
        uintptr_t start = (uintptr_t)(bias + header->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (uintptr_t)(bias + header->p_vaddr + header->p_memsz) & ~(page - 1);
        if (start >= end) continue;
        released += gossip_code_pages_release_range(start, end, executable_path, executable.st_dev, executable.st_ino);
    }
    return released;
}

/// A "Name:   value kB" field of a /proc file such as smaps_rollup, matched by its whole name, or
/// -1 if the file cannot be read or has no such field.
static inline long gossip_proc_field_kb(const char *path, const char *field) {
    FILE *file = fopen(path, "re");
    if (file == 0) return -1;
    char line[256];
    size_t length = strlen(field);
    long value = -1;
    while (fgets(line, sizeof line, file) != 0) {
        if (strncmp(line, field, length) != 0 || line[length] != ':') continue;
        if (sscanf(line + length + 1, " %ld kB", &value) != 1) value = -1;
        break;
    }
    fclose(file);
    return value;
}

/// A field of /proc/PID/smaps_rollup in kB (pid 0: this process), e.g. "Pss" or "FilePmdMapped",
/// or -1 if the kernel does not give it.
static inline long gossip_smaps_rollup_kb(int pid, const char *field) {
    char path[64];
    if (pid > 0) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    return gossip_proc_field_kb(path, field);
}

/// kB of a process's file pages mapped with 2 MiB page-table entries (`FilePmdMapped`; pid 0:
/// this process), or -1 if the kernel does not say.
static inline long gossip_code_pages_pmd_mapped_kb(int pid) { return gossip_smaps_rollup_kb(pid, "FilePmdMapped"); }

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/// Reads the read-only segments of the ELF executable at `path` into the page cache afresh, in
/// 2 MiB folios where the kernel and file system allow: writes back and drops the file's cached
/// pages (those no process maps; dirty ones are written first), then faults each segment in
/// through a mapping advised MADV_HUGEPAGE, whose read-ahead allocates folios of 2 MiB. For a
/// launcher, before it starts the nodes; a node cannot do it for itself, as the pages it has
/// already run stay cached in the folios they were read in. Returns the bytes read in (the
/// segments, each from its 2 MiB boundary), or -1 with errno set: the file cannot be opened or
/// read, is not a regular file (EINVAL), is not a 64-bit ELF file with at most 64 program
/// headers (ENOEXEC), or cannot be mapped; ENOSYS where this is not built (not 64-bit Linux).
static inline long long gossip_code_pages_prepare_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO does not block the open
    if (fd < 0) return -1;
    struct stat file;
    Elf64_Ehdr header;
    if (fstat(fd, &file) != 0) { int saved = errno; close(fd); errno = saved; return -1; }
    if (!S_ISREG(file.st_mode)) { close(fd); errno = EINVAL; return -1; }
    ssize_t got = pread(fd, &header, sizeof header, 0);
    if (got < 0) { int saved = errno; close(fd); errno = saved; return -1; }
    if (got != (ssize_t)sizeof header
        || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64
        || header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 || header.e_phnum > 64) {
        close(fd);
        errno = ENOEXEC;
        return -1;
    }
    Elf64_Phdr segments[64];
    size_t headerBytes = (size_t)header.e_phnum * sizeof(Elf64_Phdr);
    got = pread(fd, segments, headerBytes, (off_t)header.e_phoff);
    if (got < 0) { int saved = errno; close(fd); errno = saved; return -1; }
    if (got != (ssize_t)headerBytes) {
        close(fd);
        errno = ENOEXEC;
        return -1;
    }
    // Dirty pages (a binary the linker or `cp` has just written) are not dropped: write them first.
    (void)fdatasync(fd);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    size_t size = (size_t)file.st_size;
    void *mapped = mmap(0, size, PROT_READ, MAP_PRIVATE, fd, 0);  // size > 0: the header was read
    int saved = errno;
    close(fd);
    if (mapped == MAP_FAILED) { errno = saved; return -1; }
    const size_t huge = 2u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    long long read_in = 0;
    size_t done = 0;  // segments come in file order; one that starts in a 2 MiB block already read
    for (int index = 0; index < header.e_phnum; index++) {
        const Elf64_Phdr *segment = &segments[index];
        if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W) || segment->p_filesz == 0) continue;
        if (segment->p_offset >= size) continue;
        size_t from = (size_t)segment->p_offset & ~(huge - 1);
        size_t to = (size_t)segment->p_offset + (size_t)segment->p_filesz;
        if (to > size) to = size;
        to = (to + page - 1) & ~(page - 1);  // the mapping covers the file's last page whole
        if (from < done) from = done;
        if (from >= to) continue;
        done = to;
        char *base = (char *)mapped + from;
        (void)madvise(base, to - from, MADV_HUGEPAGE);
        if (madvise(base, to - from, MADV_POPULATE_READ) != 0 && errno == EINVAL) {
            // Before Linux 5.14: fault each page in by reading a byte of it. Not on any other
            // error: EFAULT means the file shrank meanwhile, and touching past its end would
            // raise SIGBUS.
            for (size_t offset = 0; offset < to - from; offset += page) (void)*(volatile char *)(base + offset);
        }
        read_in += (long long)(to - from);
    }
    munmap(mapped, size);
    return read_in;
}
#else
static inline int gossip_release_code_pages(void) { return 0; }
static inline long gossip_proc_field_kb(const char *path, const char *field) { (void)path; (void)field; return -1; }
static inline long gossip_smaps_rollup_kb(int pid, const char *field) { (void)pid; (void)field; return -1; }
static inline long gossip_code_pages_pmd_mapped_kb(int pid) { (void)pid; return -1; }
static inline long long gossip_code_pages_prepare_file(const char *path) { (void)path; errno = ENOSYS; return -1; }
#endif

#endif
