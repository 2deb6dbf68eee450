//! The `Repository` operations of [`FileRepository`].

use super::*;

#[async_trait]
impl Repository for FileRepository {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        let (key, path) = (key.clone(), self.path(key)?);
        self.blocking(move |me| match current_meta(&path) {
            Ok(Some(m)) => Ok(meta::object_meta(key, &path, &m)),
            Ok(None) => Err(Error::NotFound(Location::new(&me, &key))),
            Err(e) => Err(me.err(&key, e)),
        })
        .await
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        let (k, path) = (key.clone(), self.path(key)?);
        let (file, meta, range) = self
            .blocking(move |me| {
                let mut f = File::open(&path).map_err(|e| me.err(&k, e))?;
                let m = f.metadata().map_err(|e| me.err(&k, e))?;
                if !m.is_file() {
                    return Err(Error::NotFound(Location::new(&me, &k)));
                }
                let r = clamp_range(|| Location::new(&me, &k), range, m.len())?;
                f.seek(io::SeekFrom::Start(r.start))
                    .map_err(|e| me.err(&k, e))?;
                Ok((f, meta::object_meta(k, &path, &m), r))
            })
            .await?;
        let me = self.clone();
        let key = key.clone();
        let remaining = range.end - range.start;
        // Each chunk is read on the blocking pool; memory stays at one chunk.
        let body = stream::try_unfold((Some(file), remaining), move |(file, left)| {
            let (me, key) = (me.clone(), key.clone());
            async move {
                let Some(mut f) = file.filter(|_| left > 0) else {
                    return Ok(None);
                };
                let n = left.min(CHUNK as u64) as usize;
                let (f, buf) = tokio::task::spawn_blocking(move || {
                    let mut buf = vec![0u8; n];
                    f.read_exact(&mut buf).map(|_| (f, buf))
                })
                .await
                .map_err(|e| {
                    Error::backend(Location::new(&me, &key), format!("read task failed: {e}"))
                })?
                .map_err(|e| me.err(&key, e))?;
                Ok(Some((Bytes::from(buf), (Some(f), left - n as u64))))
            }
        })
        .boxed();
        Ok(GetResult { meta, range, body })
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        let key = key.clone();
        self.path(&key)?;
        self.blocking(move |me| me.write_all(&key, &data, &mode))
            .await
    }

    async fn put_stream(
        &self,
        key: &Key,
        mut body: ByteStream,
        mode: PutMode,
    ) -> Result<ObjectMeta> {
        self.path(key)?;
        let (tmp, f) = self.new_temp().map_err(|e| self.err(key, e))?;
        let mut f = tokio::fs::File::from_std(f);
        let mut hasher = Md5Hasher::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            f.write_all(&chunk).await.map_err(|e| self.err(key, e))?;
        }
        f.flush().await.map_err(|e| self.err(key, e))?;
        if self.fsync {
            f.sync_all().await.map_err(|e| self.err(key, e))?;
        }
        drop(f);
        let key = key.clone();
        let digest = hasher.finish();
        self.blocking(move |me| me.publish(tmp, &key, &mode, Some(digest)))
            .await
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        let dir = match self.dir(prefix) {
            Ok(d) => d,
            Err(e) => return stream::once(async { Err(e) }).boxed(),
        };
        let walk = walk::Walk::new(dir, prefix.cloned(), RESERVED);
        let loc = Location::new(self, prefix.map(|p| p.as_str()).unwrap_or(""));
        stream::try_unfold(Some(walk), move |walk| {
            let loc = loc.clone();
            async move {
                let Some(mut walk) = walk else {
                    return Ok(None);
                };
                let (walk, batch) = tokio::task::spawn_blocking(move || {
                    let b = walk.next_batch(500);
                    (walk, b)
                })
                .await
                .map_err(|e| Error::backend(loc.clone(), format!("listing task failed: {e}")))?;
                let batch = batch.map_err(|e| Error::backend(loc, e))?;
                let next = (!batch.is_empty()).then_some(walk);
                Ok(Some((stream::iter(batch.into_iter().map(Ok)), next)))
            }
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        let dir = self.dir(prefix)?;
        let prefix = prefix.cloned();
        self.blocking(move |me| {
            let loc = || Location::new(&me, prefix.as_ref().map(|p| p.as_str()).unwrap_or(""));
            let mut out = Listing::default();
            for e in walk::read_dir(&dir, prefix.as_ref(), RESERVED)
                .map_err(|e| Error::backend(loc(), e))?
            {
                match e {
                    walk::Entry::File(k, p, m) => out.objects.push(meta::object_meta(k, &p, &m)),
                    walk::Entry::Dir(k, p) => {
                        if walk::has_file(&p, &k).map_err(|e| Error::backend(loc(), e))? {
                            out.prefixes.push(k);
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        let (key, path) = (key.clone(), self.path(key)?);
        self.blocking(move |me| {
            let _lock =
                lock::acquire(&me.lock_path(&key), me.locks).map_err(|e| me.err(&key, e))?;
            match fs::remove_file(&path) {
                Ok(()) => me.prune(&path),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) => {}
                Err(e) if path.is_dir() => drop(e),
                Err(e) => return Err(me.err(&key, e)),
            }
            Ok(())
        })
        .await
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        self.path(to)?;
        let src = self.get(from).await?;
        let mode = if create_only {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        if create_only && self.head(to).await.is_ok() {
            return Err(Error::AlreadyExists(Location::new(self, to)));
        }
        self.put_stream(to, src.body, mode).await
    }

    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let (from, to) = (from.clone(), to.clone());
        let (src, dst) = (self.path(&from)?, self.path(&to)?);
        self.blocking(move |me| {
            // Both keys' locks, always in the same order, so two renames cannot deadlock.
            let (a, b) = (me.lock_path(&from), me.lock_path(&to));
            let (first, second) = if a <= b { (a, b) } else { (b, a) };
            let _l1 = lock::acquire(&first, me.locks).map_err(|e| me.err(&from, e))?;
            let _l2 = (first != second)
                .then(|| lock::acquire(&second, me.locks))
                .transpose()
                .map_err(|e| me.err(&to, e))?;
            let Some(src_meta) = current_meta(&src).map_err(|e| me.err(&from, e))? else {
                return Err(Error::NotFound(Location::new(&me, &from)));
            };
            let current = current_meta(&dst).map_err(|e| me.err(&to, e))?;
            if create_only && current.is_some() {
                return Err(Error::AlreadyExists(Location::new(&me, &to)));
            }
            let digest = meta::digest(&src, &src_meta);
            let m = stamp_after(&src, current.as_ref()).map_err(|e| me.err(&from, e))?;
            if let Some(d) = digest {
                meta::set_digest(&src, &m, &d);
            }
            me.move_into_place(&src, &dst, &to)?;
            me.prune(&src);
            let m = fs::metadata(&dst).map_err(|e| me.err(&to, e))?;
            Ok(meta::object_meta(to, &dst, &m))
        })
        .await
    }
}
