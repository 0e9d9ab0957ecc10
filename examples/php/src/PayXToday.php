<?php
// PayXToday's API as a shop calls it: every call under {base}/api/v1/{id_reseller}/{secret_key}/,
// parameters as a form body, answers as {"data": …}.

class PayXTodayUnavailable extends RuntimeException {}
class PayXTodayRefused extends RuntimeException {}

class PayXToday
{
    private string $apiUrl;

    /** @param string $apiUrl https://payxtoday.com/api/v1/{id_reseller}/{secret_key}/ */
    public function __construct(string $apiUrl)
    {
        $this->apiUrl = rtrim($apiUrl, '/') . '/';
    }

    public function createClient(string $name, int $countryId, string $email): array
    {
        return $this->post('clients/create', ['name' => $name, 'id_country' => $countryId, 'e_mail' => $email]);
    }

    public function createPayment(int $clientId, float $price, int $period, string $description): array
    {
        return $this->post('payments/create', [
            'id_client' => $clientId, 'price' => $price, 'period' => $period, 'description' => $description,
        ]);
    }

    public function paymentByUuid(string $uuid): array
    {
        return $this->request('GET', 'payments/uuid?' . http_build_query(['uuid_payment' => $uuid]), null);
    }

    private function post(string $path, array $fields): array
    {
        return $this->request('POST', $path, http_build_query($fields));
    }

    private function request(string $method, string $path, ?string $body): array
    {
        $curl = curl_init($this->apiUrl . $path);
        curl_setopt_array($curl, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 5,
            CURLOPT_TIMEOUT => 10,
        ]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
        }
        $answer = curl_exec($curl);
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $error = curl_error($curl);
        curl_close($curl);
        if ($answer === false || $status >= 500) {
            throw new PayXTodayUnavailable($error !== '' ? $error : "PayXToday answered $status");
        }
        $json = json_decode($answer, true);
        if ($status >= 400 || !is_array($json) || !isset($json['data'])) {
            throw new PayXTodayRefused(is_array($json) ? json_encode($json) : "PayXToday answered $status");
        }
        return $json['data'];
    }
}
