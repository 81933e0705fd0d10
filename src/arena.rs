//! The wasm module's allocator. While `validate` runs, memory comes from a bump arena: an
//! allocation is a pointer increment and a free is a count decrement (the request's JSON tree,
//! its additions and the answer are thousands of small strings and maps, and dlmalloc's own
//! code was an eighth of a mutated pod's instructions). Everything else — the waPC
//! registry made at start-up, the settings cache, frees of memory from before — goes to the
//! system allocator as before.
//!
//! The arena is handed back only when nothing allocated in it is alive any more (usually
//! when waPC drops the answer after copying it to the host). Memory that outlives the call,
//! say a value kept in a static, therefore stops the reset instead of being reused under it:
//! the worst case is memory growth in an instance that is reused, never a dangling pointer.
//! The arena keeps its first chunk for the next call and gives the others back; past
//! `MAX_CHUNKS` chunks (16 MiB), or when the system allocator has no chunk to give, a request's
//! allocations go to the system allocator, which reuses what is freed. Memory the arena holds
//! is what the request allocated in all, not what it holds at its peak; the two differ little
//! (1,106 KiB against 935 KiB for 100 containers), because the object's tree lives until the
//! answer is written.

use std::alloc::{GlobalAlloc, Layout, System};

/// Chunk sizes double from the first one's (256 KiB in the module: 256 KiB … 8 MiB, 16 MiB
/// in all). A request's allocations add up to about 33 times its size (1.1 MiB for a pod with
/// 100 containers), so only requests near the API server's size limit go past the arena.
const MAX_CHUNKS: usize = 6;
/// Alignment of the chunks themselves (allocations with larger alignment are padded).
const CHUNK_ALIGN: usize = 16;

#[derive(Clone, Copy)]
struct Chunk {
    base_ptr: *mut u8,
    len: usize,
}

impl Chunk {
    const EMPTY: Chunk = Chunk {
        base_ptr: std::ptr::null_mut(),
        len: 0,
    };

    /// The offset of `addr` in this chunk, if it is in it.
    fn offset_of(&self, addr: usize) -> Option<usize> {
        let offset = addr.checked_sub(self.base_ptr.addr())?;
        (offset < self.len).then_some(offset)
    }

    fn layout(&self) -> Option<Layout> {
        Layout::from_size_align(self.len, CHUNK_ALIGN).ok()
    }
}

/// The arena's bookkeeping, apart from the global allocator so that tests can drive it.
/// Addresses are kept as numbers for the fast paths; pointers are always made from a
/// chunk's base pointer.
pub struct Bump {
    first_chunk: usize,
    chunks: [Chunk; MAX_CHUNKS],
    /// Chunks in use; allocations come from the last one.
    used: usize,
    /// Set when the system allocator refused a chunk: no more are asked for.
    full: bool,
    /// The last chunk: its base pointer, and its first and past-the-end addresses.
    base_ptr: *mut u8,
    base: usize,
    end: usize,
    /// Address of the first free byte in the last chunk.
    next: usize,
    /// Arena allocations not freed yet.
    live: usize,
    /// Whether new allocations come from the arena.
    on: bool,
}

impl Bump {
    pub const fn new(first_chunk: usize) -> Self {
        Bump {
            first_chunk,
            chunks: [Chunk::EMPTY; MAX_CHUNKS],
            used: 0,
            full: false,
            base_ptr: std::ptr::null_mut(),
            base: 0,
            end: 0,
            next: 0,
            live: 0,
            on: false,
        }
    }

    /// Turns the arena on or off for new allocations; returns what it was.
    pub fn set_on(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.on, on)
    }

    /// Arena allocations not freed yet.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Bytes the arena holds from the system allocator.
    pub fn reserved(&self) -> usize {
        self.chunks.iter().take(self.used).map(|c| c.len).sum()
    }

    /// Whether `ptr` points into one of the arena's chunks.
    pub fn owns(&self, ptr: *mut u8) -> bool {
        self.in_last(ptr.addr()) || self.in_older(ptr.addr())
    }

    #[inline(always)]
    fn in_last(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.base) < self.end - self.base
    }

    #[cold]
    fn in_older(&self, addr: usize) -> bool {
        self.chunks
            .iter()
            .take(self.used.saturating_sub(1))
            .any(|c| c.offset_of(addr).is_some())
    }

    /// Room for `layout` at the end of the last chunk.
    #[inline(always)]
    fn bump(&mut self, layout: Layout) -> Option<*mut u8> {
        let start = self.next.checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let end = start.checked_add(layout.size())?;
        if end > self.end {
            return None;
        }
        self.next = end;
        self.live += 1;
        Some(self.base_ptr.wrapping_add(start - self.base))
    }

    /// Adds a chunk that can hold `layout` and allocates there; `None` when the arena is
    /// full or the system allocator has no more memory.
    #[cold]
    fn grow(&mut self, layout: Layout) -> Option<*mut u8> {
        if self.full {
            return None;
        }
        let slot = self.chunks.get_mut(self.used)?;
        let doubled = self
            .first_chunk
            .checked_shl(self.used as u32)
            .unwrap_or(usize::MAX);
        let len = layout.size().checked_add(layout.align())?.max(doubled);
        let chunk_layout = Layout::from_size_align(len, CHUNK_ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        let base_ptr = unsafe { System.alloc(chunk_layout) };
        if base_ptr.is_null() {
            self.full = true;
            return None;
        }
        *slot = Chunk { base_ptr, len };
        self.used += 1;
        self.start_at(Chunk { base_ptr, len });
        self.bump(layout)
    }

    fn start_at(&mut self, chunk: Chunk) {
        self.base_ptr = chunk.base_ptr;
        self.base = chunk.base_ptr.addr();
        self.end = self.base + chunk.len;
        self.next = self.base;
    }

    /// Gives back every chunk but the first, and starts the first one again.
    #[cold]
    fn reset(&mut self) {
        for chunk in self.chunks.iter_mut().take(self.used).skip(1) {
            if let Some(layout) = chunk.layout() {
                // SAFETY: the chunk came from `System.alloc` with this layout.
                unsafe { System.dealloc(chunk.base_ptr, layout) };
            }
            *chunk = Chunk::EMPTY;
        }
        self.used = self.used.min(1);
        self.full = false;
        let first = self.chunks.first().copied().unwrap_or(Chunk::EMPTY);
        self.start_at(first);
    }

    /// # Safety
    /// As `GlobalAlloc::alloc`.
    #[inline(always)]
    pub unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        if self.on
            && let Some(ptr) = self.bump(layout).or_else(|| self.grow(layout))
        {
            return ptr;
        }
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    /// # Safety
    /// As `GlobalAlloc::dealloc`: `ptr` came from this allocator with `layout`.
    #[inline(always)]
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let addr = ptr.addr();
        if self.in_last(addr) {
            // The last allocation goes back to the chunk at once (a `Vec` that grew and moved).
            if addr + layout.size() == self.next {
                self.next = addr;
            }
        } else if !self.in_older(addr) {
            // SAFETY: not the arena's, so the system allocator's.
            return unsafe { System.dealloc(ptr, layout) };
        }
        self.live -= 1;
        if self.live == 0 {
            self.reset();
        }
    }

    /// # Safety
    /// As `GlobalAlloc::realloc`.
    pub unsafe fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let addr = ptr.addr();
        if !self.owns(ptr) {
            // SAFETY: not the arena's, so the system allocator's.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // The last allocation grows or shrinks in place.
        if addr + layout.size() == self.next
            && self.in_last(addr)
            && addr
                .checked_add(new_size)
                .is_some_and(|end| end <= self.end)
        {
            self.next = addr + new_size;
            return ptr;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `new_size` is non-zero (the caller's contract).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not overlap (the new
            // one was free until now); the old block is freed after the copy.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod global {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    use super::Bump;

    const FIRST_CHUNK: usize = 256 * 1024;

    struct Shared(UnsafeCell<Bump>);
    // SAFETY: wasm32 without the atomics feature runs one thread, and the allocator never
    // calls itself, so there is never more than one borrow of the bookkeeping.
    unsafe impl Sync for Shared {}

    static ARENA: Shared = Shared(UnsafeCell::new(Bump::new(FIRST_CHUNK)));

    pub fn set_on(on: bool) -> bool {
        // SAFETY: see `Shared`.
        unsafe { (*ARENA.0.get()).set_on(on) }
    }

    struct Arena;

    // SAFETY: forwards to `Bump`, whose methods keep `GlobalAlloc`'s contract.
    unsafe impl GlobalAlloc for Arena {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*ARENA.0.get()).alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { (*ARENA.0.get()).dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*ARENA.0.get()).realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static GLOBAL: Arena = Arena;
}

#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
mod global {
    /// Native builds (tests, fuzzing) keep the system allocator.
    pub fn set_on(_on: bool) -> bool {
        false
    }
}

/// Runs `f` with its allocations in the arena.
pub fn during<T>(f: impl FnOnce() -> T) -> T {
    let was = global::set_on(true);
    let result = f();
    global::set_on(was);
    result
}

/// Runs `f` with its allocations outside the arena: for what is kept after the call.
pub fn outside<T>(f: impl FnOnce() -> T) -> T {
    let was = global::set_on(false);
    let result = f();
    global::set_on(was);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// Allocates `size` bytes filled with `byte`.
    fn filled(bump: &mut Bump, size: usize, byte: u8) -> *mut u8 {
        let ptr = unsafe { bump.alloc(layout(size, 1)) };
        assert!(!ptr.is_null());
        unsafe { std::ptr::write_bytes(ptr, byte, size) };
        ptr
    }

    /// An arena switched on, its first chunk `first_chunk` bytes.
    fn arena_on(first_chunk: usize) -> Bump {
        let mut bump = Bump::new(first_chunk);
        bump.set_on(true);
        bump
    }

    /// A 100-byte block filled with `byte` that is not the last one (another follows it).
    fn block_not_last(bump: &mut Bump, byte: u8) -> *mut u8 {
        let ptr = filled(bump, 100, byte);
        filled(bump, 10, 1);
        ptr
    }

    fn bytes(ptr: *mut u8, size: usize) -> Vec<u8> {
        unsafe { std::slice::from_raw_parts(ptr, size) }.to_vec()
    }

    #[test]
    fn allocations_are_aligned_and_apart() {
        let mut bump = arena_on(4096);
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for (i, align) in [1, 8, 2, 64, 16, 4096, 4, 8192].into_iter().enumerate() {
            let size = 3 + i * 5;
            let ptr = unsafe { bump.alloc(layout(size, align)) };
            assert_eq!(ptr.addr() % align, 0, "alignment {align}");
            assert!(bump.owns(ptr), "from the arena");
            for (start, len) in &seen {
                assert!(ptr.addr() >= start + len || ptr.addr() + size <= *start);
            }
            seen.push((ptr.addr(), size));
        }
        assert_eq!(bump.live(), 8);
    }

    #[test]
    fn off_means_the_system_allocator_and_its_frees_go_back_there() {
        let mut bump = Bump::new(4096);
        let outside = filled(&mut bump, 100, 7);
        assert!(!bump.owns(outside));
        bump.set_on(true);
        let inside = filled(&mut bump, 100, 8);
        assert!(bump.owns(inside));
        unsafe { bump.dealloc(outside, layout(100, 1)) };
        assert_eq!(bump.live(), 1);
        assert_eq!(bytes(inside, 100), vec![8; 100]);
    }

    #[test]
    fn the_arena_starts_again_once_nothing_in_it_is_alive() {
        let mut bump = arena_on(1024);
        let first = filled(&mut bump, 16, 1);
        let kept = filled(&mut bump, 600, 2);
        let big = filled(&mut bump, 5000, 3);
        assert!(bump.reserved() > 1024, "a second chunk was added");
        unsafe { bump.dealloc(first, layout(16, 1)) };
        unsafe { bump.dealloc(big, layout(5000, 1)) };
        // Something is still alive: nothing is reused under it.
        let other = filled(&mut bump, 600, 4);
        assert_eq!(bytes(kept, 600), vec![2; 600]);
        assert!(other.addr() >= kept.addr() + 600 || other.addr() + 600 <= kept.addr());
        unsafe { bump.dealloc(other, layout(600, 1)) };
        unsafe { bump.dealloc(kept, layout(600, 1)) };
        assert_eq!(bump.live(), 0);
        assert_eq!(bump.reserved(), 1024, "only the first chunk is kept");
        assert_eq!(filled(&mut bump, 16, 5), first, "and used from its start");
    }

    #[test]
    fn the_last_allocation_grows_and_shrinks_in_place() {
        let mut bump = arena_on(4096);
        let ptr = filled(&mut bump, 100, 9);
        let grown = unsafe { bump.realloc(ptr, layout(100, 1), 300) };
        assert_eq!(grown, ptr);
        let shrunk = unsafe { bump.realloc(grown, layout(300, 1), 50) };
        assert_eq!(shrunk, ptr);
        let after = filled(&mut bump, 10, 1);
        assert_eq!(after.addr(), ptr.addr() + 50);
        assert_eq!(bytes(ptr, 50), vec![9; 50]);
        assert_eq!(bump.live(), 2);
    }

    #[test]
    fn an_earlier_allocation_moves_with_its_bytes() {
        let mut bump = arena_on(4096);
        let ptr = block_not_last(&mut bump, 6);
        let moved = unsafe { bump.realloc(ptr, layout(100, 1), 3000) };
        assert_ne!(moved, ptr);
        assert_eq!(bytes(moved, 100), vec![6; 100]);
        assert_eq!(bump.live(), 2, "the old block was freed");
        // Moved beyond the first chunk: a second one holds it.
        let moved_again = unsafe { bump.realloc(moved, layout(3000, 1), 9000) };
        assert_eq!(bytes(moved_again, 100), vec![6; 100]);
        assert!(bump.owns(moved_again));
    }

    #[test]
    fn a_full_arena_falls_back_to_the_system_allocator() {
        let mut bump = arena_on(64);
        let mut arena = Vec::new();
        for _ in 0..MAX_CHUNKS {
            // Each fills a chunk of its own: size + alignment is the chunk's length.
            let size = (64 << arena.len()) - 1;
            arena.push((filled(&mut bump, size, 1), size));
        }
        assert_eq!(bump.used, MAX_CHUNKS);
        let extra = filled(&mut bump, 1 << 20, 2);
        assert!(!bump.owns(extra), "the system allocator's");
        let grown = unsafe { bump.realloc(extra, layout(1 << 20, 1), 2 << 20) };
        assert_eq!(bytes(grown, 1 << 20), vec![2; 1 << 20]);
        unsafe { bump.dealloc(grown, layout(2 << 20, 1)) };
        for (ptr, size) in arena {
            unsafe { bump.dealloc(ptr, layout(size, 1)) };
        }
        assert_eq!(bump.live(), 0);
        assert_eq!(bump.reserved(), 64);
    }

    #[test]
    fn an_arena_block_moved_while_off_leaves_the_arena() {
        let mut bump = arena_on(4096);
        let ptr = block_not_last(&mut bump, 3);
        bump.set_on(false);
        let moved = unsafe { bump.realloc(ptr, layout(100, 1), 200) };
        assert!(!bump.owns(moved));
        assert_eq!(bytes(moved, 100), vec![3; 100]);
        assert_eq!(bump.live(), 1);
        unsafe { bump.dealloc(moved, layout(200, 1)) };
    }

    #[test]
    fn a_refused_chunk_is_not_asked_for_again() {
        let mut bump = arena_on(1024);
        let kept = filled(&mut bump, 100, 1);
        // More than any address space: the system allocator refuses it.
        let huge = unsafe { bump.alloc(layout(1 << 50, 1)) };
        assert!(huge.is_null());
        assert!(bump.full);
        // Served by the system allocator from now on, the arena's blocks untouched.
        let other = filled(&mut bump, 2000, 2);
        assert!(!bump.owns(other));
        assert_eq!(bytes(kept, 100), vec![1; 100]);
        unsafe { bump.dealloc(other, layout(2000, 1)) };
        unsafe { bump.dealloc(kept, layout(100, 1)) };
        assert!(!bump.full, "the reset asks again");
    }

    /// Random allocations, frees and reallocations, with the arena switched on and off: live
    /// blocks never overlap, keep their bytes, and are counted; at the end the arena is back
    /// to its first chunk.
    #[test]
    fn random_use_keeps_every_live_block_intact() {
        let mut bump = Bump::new(512);
        let mut blocks: Vec<(*mut u8, usize, usize, u8)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..4000u32 {
            let r = next();
            match r % 10 {
                0 => {
                    bump.set_on(r % 3 != 0);
                }
                1..=4 => {
                    let size = 1 + (next() % 3000) as usize;
                    let align = [1, 2, 8, 16, 64][(next() % 5) as usize];
                    let ptr = unsafe { bump.alloc(layout(size, align)) };
                    assert!(!ptr.is_null());
                    assert_eq!(ptr.addr() % align, 0);
                    let fill = (step % 251) as u8;
                    unsafe { std::ptr::write_bytes(ptr, fill, size) };
                    blocks.push((ptr, size, align, fill));
                }
                5..=7 if !blocks.is_empty() => {
                    let (ptr, size, align, _) =
                        blocks.swap_remove((next() as usize) % blocks.len());
                    unsafe { bump.dealloc(ptr, layout(size, align)) };
                }
                _ if !blocks.is_empty() => {
                    let i = (next() as usize) % blocks.len();
                    let (ptr, size, align, fill) = blocks[i];
                    let new_size = 1 + (next() % 4000) as usize;
                    let new = unsafe { bump.realloc(ptr, layout(size, align), new_size) };
                    assert!(!new.is_null());
                    assert_eq!(new.addr() % align, 0);
                    assert_eq!(
                        bytes(new, size.min(new_size)),
                        vec![fill; size.min(new_size)]
                    );
                    unsafe { std::ptr::write_bytes(new, fill, new_size) };
                    blocks[i] = (new, new_size, align, fill);
                }
                _ => {}
            }
            let owned = blocks.iter().filter(|b| bump.owns(b.0)).count();
            assert_eq!(bump.live(), owned, "step {step}");
            if step % 50 == 0 {
                for (k, &(p, size, _, fill)) in blocks.iter().enumerate() {
                    assert_eq!(bytes(p, size), vec![fill; size], "step {step}");
                    for &(q, other, _, _) in blocks.iter().skip(k + 1) {
                        assert!(p.addr() + size <= q.addr() || q.addr() + other <= p.addr());
                    }
                }
            }
        }
        for (ptr, size, align, _) in blocks {
            unsafe { bump.dealloc(ptr, layout(size, align)) };
        }
        assert_eq!(bump.live(), 0);
        assert!(bump.reserved() <= 3000 + 64 && bump.used <= 1);
    }

    #[test]
    fn a_chunk_ends_before_its_end_address() {
        let base = std::ptr::null_mut::<u8>().wrapping_add(4096);
        let chunk = Chunk {
            base_ptr: base,
            len: 100,
        };
        assert_eq!(chunk.offset_of(4096), Some(0));
        assert_eq!(chunk.offset_of(4195), Some(99));
        assert_eq!(chunk.offset_of(4196), None);
        assert_eq!(chunk.offset_of(4095), None);
        assert_eq!(chunk.layout(), Some(layout(100, CHUNK_ALIGN)));

        let mut bump = arena_on(1024);
        // A block that fills the chunk exactly comes from it, and the next byte is not the
        // arena's.
        let full = filled(&mut bump, 1024 - 16, 3);
        assert_eq!(bump.reserved(), 1024);
        let rest = unsafe { bump.alloc(layout(16, 1)) };
        assert_eq!(bump.reserved(), 1024, "the last 16 bytes fit");
        assert!(bump.in_last(rest.addr()));
        assert!(!bump.in_last(rest.addr() + 16));
        unsafe { bump.dealloc(rest, layout(16, 1)) };
        unsafe { bump.dealloc(full, layout(1024 - 16, 1)) };
    }
}
