// Templates of a domain: object storage, media library, callbacks; listed, created,
// edited and deleted through the API (its validation messages shown as they come).
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import type { LiveAppRecord, LiveRecordVodConfig, NotifyConfig } from '../types';
import { localTime } from '../time';
import { ConfirmButton, ErrorLine, useLoader } from './common';
import { NotifyForm } from './notify-form';
import { OssTemplateForm } from './oss-template-form';
import { VodTemplateForm } from './vod-template-form';

const PAGE_SIZE = 50;

interface Paged<T> {
  items: T[];
  totalNum?: number;
  pageNum?: number;
}

function Pager({ page, total, onPage }: { page: number; total: number; onPage(p: number): void }) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (pages <= 1) return null;
  return (
    <div class="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</button> page {page} of {pages}{' '}
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next</button>
    </div>
  );
}

const trigger = (n?: number) => String(n ?? 0);

/** A template's key fields: what the Delete methods take. */
interface TemplateKey {
  domainName?: string;
  appName?: string;
  streamName?: string;
}

/**
 * One page of a domain's templates of a kind, the form being shown (new or editing one) and
 * deletion: the same for object-storage and media-library templates, only the methods differ.
 */
function useTemplateList<T extends TemplateKey>(domain: string, describe: string, listField: string, deleteMethod: string) {
  const [page, setPage] = useState(1);
  const [form, setForm] = useState<{ editing: T | null } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const list = useLoader(async (): Promise<Paged<T>> => {
    const r = await callApi<Record<string, unknown> & { totalNum?: number }>(describe, { domainName: domain, pageNum: page, pageSize: PAGE_SIZE });
    return { items: (r[listField] as T[] | undefined) ?? [], totalNum: r.totalNum ?? 0 };
  }, [domain, page]);
  const remove = async (t: T) => {
    setActionError(null);
    try {
      await callApi(deleteMethod, { domainName: t.domainName, appName: t.appName, streamName: t.streamName });
      list.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  return { page, setPage, form, setForm, actionError, list, remove };
}

export function TemplatesPage() {
  const [domainInput, setDomainInput] = useState('localhost');
  const [domain, setDomain] = useState('localhost');
  return (
    <section>
      <h1>Templates</h1>
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); setDomain(domainInput.trim()); }}>
        <label>Domain <input name="templates_domain" value={domainInput} onInput={(e) => setDomainInput(e.currentTarget.value)} /></label>
        <button type="submit">Show</button>
      </form>
      <OssTemplates key={`oss-${domain}`} domain={domain} />
      <VodTemplates key={`vod-${domain}`} domain={domain} />
      <Callbacks key={`notify-${domain}`} domain={domain} />
    </section>
  );
}

function OssTemplates({ domain }: { domain: string }) {
  const { page, setPage, form, setForm, actionError, list, remove } = useTemplateList<LiveAppRecord>(domain, 'DescribeLiveRecordConfig', 'liveAppRecordList', 'DeleteLiveAppRecordConfig');
  return (
    <section class="panel" aria-label="Object-storage templates">
      <h2>Object storage <button type="button" class="small" onClick={() => setForm({ editing: null })}>New template</button></h2>
      {form ? <OssTemplateForm domain={domain} editing={form.editing} onDone={(saved) => { setForm(null); if (saved) list.reload(); }} /> : null}
      <ErrorLine error={list.error} />
      <ErrorLine error={actionError} />
      <table class="templates oss">
        <thead><tr><th>App / stream</th><th>Storage</th><th>Trigger</th><th>Window</th><th>Formats</th><th>Created</th><th /></tr></thead>
        <tbody>
          {(list.data?.items ?? []).map((t) => (
            <tr key={t.configId} data-template={`${t.appName}/${t.streamName}`}>
              <td>{t.appName}/{t.streamName}</td>
              <td>{t.ossBucket ? `${t.ossBucket}${t.ossEndpoint ? ` @ ${t.ossEndpoint}` : ''}` : 'local disk'}</td>
              <td>{trigger(t.onDemand)}</td>
              <td>{t.delayTime ?? 0} s</td>
              <td>{(t.recordFormat ?? []).map((f) => `${f.format}${f.sliceDuration ? ` ${f.sliceDuration}s` : ''}/${f.cycleDuration ?? 0}s`).join(', ')}</td>
              <td>{localTime(t.createTime)}</td>
              <td class="actions">
                <button type="button" class="small" onClick={() => setForm({ editing: t })}>Edit</button>
                <ConfirmButton label="Delete" confirmLabel="Delete it" onConfirm={() => void remove(t)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 ? <p class="muted">No stored object-storage templates in {domain} (the configured catch-all, if any, still applies).</p> : null}
      <Pager page={page} total={list.data?.totalNum ?? 0} onPage={setPage} />
    </section>
  );
}

function VodTemplates({ domain }: { domain: string }) {
  const { page, setPage, form, setForm, actionError, list, remove } = useTemplateList<LiveRecordVodConfig>(domain, 'DescribeLiveRecordVodConfigs', 'liveRecordVodConfigs', 'DeleteLiveRecordVodConfig');
  return (
    <section class="panel" aria-label="Media-library templates">
      <h2>Media library <button type="button" class="small" onClick={() => setForm({ editing: null })}>New template</button></h2>
      {form ? <VodTemplateForm domain={domain} editing={form.editing} onDone={(saved) => { setForm(null); if (saved) list.reload(); }} /> : null}
      <ErrorLine error={list.error} />
      <ErrorLine error={actionError} />
      <table class="templates vod">
        <thead><tr><th>App / stream</th><th>Space</th><th>Trigger</th><th>Cycle</th><th>Formats</th><th>Created</th><th /></tr></thead>
        <tbody>
          {(list.data?.items ?? []).map((t) => (
            <tr key={t.configId} data-template={`${t.appName}/${t.streamName}`}>
              <td>{t.appName}/{t.streamName}</td>
              <td>{t.spaceId || '—'}{t.storageLocation ? ` (${t.storageLocation})` : ''}</td>
              <td>{trigger(t.onDemand)}</td>
              <td>{t.cycleDuration ?? 0} s</td>
              <td>{(t.recordFormat ?? []).map((f) => f.format).join(', ')}</td>
              <td>{localTime(t.createTime)}</td>
              <td class="actions">
                <button type="button" class="small" onClick={() => setForm({ editing: t })}>Edit</button>
                <ConfirmButton label="Delete" confirmLabel="Delete it" onConfirm={() => void remove(t)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 ? <p class="muted">No media-library templates in {domain}.</p> : null}
      <Pager page={page} total={list.data?.totalNum ?? 0} onPage={setPage} />
    </section>
  );
}

function Callbacks({ domain }: { domain: string }) {
  const [editing, setEditing] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const config = useLoader(async (): Promise<NotifyConfig | null> => {
    try {
      const r = await callApi<{ liveRecordNotifyConfig?: NotifyConfig }>('DescribeLiveRecordNotifyConfig', { domainName: domain });
      return r.liveRecordNotifyConfig ?? null;
    } catch (err) {
      // No callbacks configured is an answer, not a failure.
      if (err instanceof ApiError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }, [domain]);
  const remove = async () => {
    setActionError(null);
    try {
      await callApi('DeleteLiveRecordNotifyConfig', { domainName: domain });
      config.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const c = config.data;
  return (
    <section class="panel" aria-label="Callbacks">
      <h2>Callbacks {c || editing ? null : <button type="button" class="small" onClick={() => setEditing(true)}>Configure</button>}</h2>
      {editing ? <NotifyForm domain={domain} current={c} onDone={(saved) => { setEditing(false); if (saved) config.reload(); }} /> : null}
      <ErrorLine error={config.error} />
      <ErrorLine error={actionError} />
      {c ? (
        <dl class="notify">
          <dt>File callback</dt><dd>{c.notifyUrl || '—'}</dd>
          <dt>On-demand URL</dt><dd>{c.onDemandUrl || '—'}</dd>
          <dt>Status callbacks</dt><dd>{c.needStatusNotify ? 'on' : 'off'}</dd>
          <dt>Signed</dt><dd>{c.authKeySet ? 'yes (key set)' : 'no'}</dd>
          <dd class="actions">
            <button type="button" class="small" onClick={() => setEditing(true)}>Edit</button>
            <ConfirmButton label="Delete" confirmLabel="Delete callbacks" onConfirm={() => void remove()} />
          </dd>
        </dl>
      ) : config.data === null && !config.loading && !config.error ? <p class="muted">No callbacks for {domain}.</p> : null}
    </section>
  );
}
